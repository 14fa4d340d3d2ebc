"""Scale-out under a mixed load and faults: two web processes, two workers, PostgreSQL restarted, Redis, Braze.

    .venv/bin/python -m bench.scale.run --minutes 10

Prints what it starts and when each fault happens, then a table of requests per route by outcome with p50/p99,
the faults, and the reconciliation (bench/scale/harness.py describes all of it). Exits 1 when a check of the
reconciliation fails or a request broke the outcome rules.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from bench.scale.harness import Plan, run, tables


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the mixed load runs")
    parser.add_argument("--feed-polls", type=float, default=40.0, help="feed polls per second")
    parser.add_argument("--events", type=float, default=3.0, help="personal events per second")
    parser.add_argument("--subscribes", type=float, default=1.0, help="landing-page subscriptions per second")
    parser.add_argument("--unsubscribes", type=float, default=0.3, help="unsubscriptions per second")
    parser.add_argument("--logs", action="store_true", help="print the end of every process's output")
    options = parser.parse_args()
    plan = Plan(
        seconds=options.minutes * 60,
        feed_polls_per_second=options.feed_polls,
        events_per_second=options.events,
        subscribes_per_second=options.subscribes,
        unsubscribes_per_second=options.unsubscribes,
    )
    load = os.getloadavg()
    print(
        f"calcast scale run: {options.minutes:g} min; per second {plan.feed_polls_per_second:g} feed polls, "
        f"{plan.events_per_second:g} personal events, {plan.subscribes_per_second:g} subscriptions, "
        f"{plan.unsubscribes_per_second:g} unsubscriptions; {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        flush=True,
    )
    # Stopped with SIGTERM (a timeout): unwind, so the private PostgreSQL, Redis and calcast processes stop too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    report = run(plan, log=lambda text: print(text, flush=True))
    print()
    print(tables(report))
    if options.logs or not report.passed:
        print()
        print(report.logs)
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
