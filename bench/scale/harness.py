"""The scale-out run: a deployment of calcast under a mixed load while processes die and the database restarts.

What runs, all on loopback, all private to one run:
- PostgreSQL: a cluster of its own (initdb into a temporary folder, a free port), so it can be restarted;
- Redis: a `redis-server` of its own (`CALCAST_REDIS_URL`), holding the rate limits every web process shares;
- `calcast serve --workers 2`: two web processes behind one port (uvicorn's supervisor, one listening socket);
- two `calcast worker` processes delivering the outbox;
- a Braze stand-in (tests/support/fake_braze.py) answering every users.track after 50 ms, and a brand's webhook
  receiver (tests/support/receivers.py), both in this process so their records can be read at the end.

The load, paced, from threads of this process: feed polls (conditional, as calendar apps poll), personal events
rendered from the shipped `new-event` Braze template for users as the stand-in holds them after calcast's sync
(sent as Braze sends them: a token through Connected Content, then the event, retried on 5xx as Braze
retries), subscriptions through the landing page's form, and unsubscriptions through the manage page's form.

Faults, at fixed points of the run: one web process SIGKILLed (uvicorn's supervisor starts a replacement;
the run checks that it does), one worker SIGKILLed and started again (as systemd's `Restart=always` would),
and PostgreSQL restarted (`pg_ctl restart -m fast`).

Afterwards, with the outbox drained: every personal event accepted with 202 is in each of its subscribers'
feeds, every subscription and unsubscription reached the Braze stand-in, every webhook row is delivered (and
was received) or visible as failed. Every request is classified by outcome; a 5xx other than a 503 with
Retry-After during the database restart, or a connection error away from the killed web process, is a
violation.
"""

from __future__ import annotations

import glob
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import redis
from sqlalchemy import func, select

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.brazesim.liquid import BrazeUser, Credentials
from calcast.brazesim.sender import BrazeSimulator
from calcast.brazesim.templates import shipped_template
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade
from calcast.core.security import Cipher
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions import service as subscriptions
from calcast.webhooks import endpoints as webhook_endpoints
from calcast.webhooks.models import KIND as WEBHOOK_KIND
from tests.support.fake_braze import FakeBraze, running_fake_braze
from tests.support.receivers import Receiver, running_receiver

ACCOUNT, CALENDAR, TAG = "scale", "main", "All"
BRAZE_LATENCY_SECONDS = 0.05
SECRET_KEY = "scale-" + secrets.token_hex(16)
CALCAST = Path(sys.prefix) / "bin" / "calcast"
# A 503 is allowed from the start of the database restart until this long after PostgreSQL answers again
# (every process finds its pooled connections dead and reconnects); a connection error from the killed web
# process's start of death until this long after its replacement answers.
RESTART_GRACE_SECONDS = 10.0
KILL_GRACE_SECONDS = 3.0
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_FEED_PATH = re.compile(r"/webcal/[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Plan:
    """How long, how much, and when the faults happen (as fractions of the run)."""

    seconds: float
    seeded: int = 40  # subscriptions made before the load (the personal events' recipients)
    feed_polls_per_second: float = 40.0
    events_per_second: float = 3.0
    subscribes_per_second: float = 1.0
    unsubscribes_per_second: float = 0.3
    kill_web_at: float = 0.25
    kill_worker_at: float = 0.45
    restart_database_at: float = 0.65
    drain_timeout_seconds: float = 120.0


# --- what was observed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    route: str
    status: int | None  # None: the connection failed (refused, reset, timed out)
    retry_after: bool
    at: float  # time.monotonic() when the request was sent
    milliseconds: float


@dataclass
class Window:
    name: str
    start: float
    end: float | None = None
    note: str = ""


@dataclass
class Observed:
    samples: list[Sample] = field(default_factory=list)
    faults: list[Window] = field(default_factory=list)
    accepted_events: dict[str, list[str]] = field(default_factory=dict)  # event title -> subscription ids
    events_not_delivered: Counter[str] = field(default_factory=Counter)  # the simulator's outcome -> count
    subscribed: dict[str, str] = field(default_factory=dict)  # subscription id -> manage path (landing page)
    unsubscribed: set[str] = field(default_factory=set)
    seeded: dict[str, str] = field(default_factory=dict)  # subscription id -> external id
    feeds: dict[str, str] = field(default_factory=dict)  # subscription id -> feed path
    load_errors: Counter[str] = field(default_factory=Counter)  # what the load's own code could not handle
    started: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def route_of(method: str, path: str) -> str:
    """The route a request belongs to, for the tables (never a token)."""
    if path.startswith("/webcal/"):
        return "GET feed"
    if path == "/oauth2/token":
        return "POST /oauth2/token"
    if path.startswith("/v1/subscriptionevent/"):
        return "POST personal event"
    if path.startswith("/manage/"):
        if path.endswith("/unsubscribe"):
            return "POST unsubscribe"
        return "GET app choice page" if path.endswith("/add") else "GET manage page"
    if path == "/healthz":
        return "GET /healthz"
    return "POST landing page (subscribe)" if method == "POST" else "GET landing page"


class RecordingTransport(httpx.BaseTransport):
    """Sends over a plain transport and records each request's route, outcome and duration (body included)."""

    def __init__(self, observed: Observed) -> None:
        self._inner = httpx.HTTPTransport()
        self._observed = observed

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.method, request.url.path)
        started = time.monotonic()
        try:
            response = self._inner.handle_request(request)
            response.read()
        except httpx.TransportError:
            self._record(route, None, False, started)
            raise
        self._record(route, response.status_code, "retry-after" in response.headers, started)
        return response

    def _record(self, route: str, status: int | None, retry_after: bool, started: float) -> None:
        sample = Sample(route, status, retry_after, started, (time.monotonic() - started) * 1000)
        self._observed.samples.append(sample)

    def close(self) -> None:
        self._inner.close()


# --- private services -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivatePostgres:
    """A PostgreSQL cluster of this run only: initdb into `folder`, a free port, trust authentication."""

    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not found:
            raise SystemExit("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin).")
        self.bin = Path(found[-1])
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/calcast"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*_as_postgres_user(), *command], capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.folder.parent.chmod(0o711)  # the postgres user passes through the run's folder to its own
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start"
        )
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "calcast")

    def restart(self) -> None:
        """Stop (fast: open connections are cut) and start again; returns once it accepts connections."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*_as_postgres_user(), str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )


@contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    """A redis-server of this run only, in memory, on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- the deployment -------------------------------------------------------------------------------------


class Deployment:
    """`calcast serve --workers 2` and two `calcast worker` processes, with their output in log files."""

    def __init__(self, folder: Path, environment: dict[str, str], port: int) -> None:
        self.folder = folder
        self.environment = environment
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._started = 0

    def _start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        self._started += 1
        with (self.folder / f"{name}-{self._started}.log").open("wb") as log:  # the process keeps its own copy
            return subprocess.Popen(
                [str(CALCAST), *arguments],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> None:
        self.server = self._start("serve", "serve", "--port", str(self.port), "--workers", "2")
        self.workers = [self._start("worker", "worker") for _ in range(2)]
        deadline = time.monotonic() + 180  # a busy machine takes long to import everything twice
        while len(self.web_processes()) < 2 or not self._healthy():
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"calcast serve did not start:\n{self.logs()}")
            time.sleep(0.2)
        time.sleep(1)  # both processes listening, not only the first

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def web_processes(self) -> list[int]:
        """The pids of the web processes uvicorn's supervisor runs (its spawned children)."""
        assert self.server is not None
        found = []
        for task in Path(f"/proc/{self.server.pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in children:
                try:
                    command = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"spawn_main" in command:
                    found.append(int(child))
        return sorted(found)

    def kill_web_process(self, window: Window) -> None:
        """SIGKILL one web process; return once the supervisor's replacement runs and the port answers."""
        before = self.web_processes()
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while True:
            now = self.web_processes()
            replacement = [pid for pid in now if pid not in before]
            if victim not in now and replacement and self._healthy():
                break
            if time.monotonic() > deadline:
                window.note = f"no replacement for pid {victim} within 120 s (processes: {now})"
                break
            time.sleep(0.1)
        window.end = time.monotonic()
        if not window.note:
            window.note = f"pid {victim} replaced by {replacement[0]} in {window.end - window.start:.1f} s"

    def kill_and_restart_worker(self, window: Window) -> None:
        victim = self.workers[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        time.sleep(1)  # as a supervisor's restart delay
        self.workers[0] = self._start("worker", "worker")
        window.end = time.monotonic()
        window.note = f"pid {victim.pid} killed; pid {self.workers[0].pid} started after 1 s"

    def alive(self) -> list[str]:
        """What ended by itself (a process that should still be running)."""
        problems = []
        if self.server is not None and self.server.poll() is not None:
            problems.append(f"calcast serve exited with {self.server.returncode}")
        problems += [f"calcast worker {w.pid} exited with {w.returncode}" for w in self.workers if w.poll() is not None]
        return problems

    def logs(self) -> str:
        """Every process's errors and warnings (uvicorn's request lines left out), and where the whole logs are."""
        kept = Path(tempfile.mkdtemp(prefix="calcast-scale-logs-"))
        parts = [f"Process output kept in {kept}"]
        for path in sorted(self.folder.glob("*.log")):
            shutil.copy(path, kept / path.name)
            lines = [line for line in path.read_text(errors="replace").splitlines() if '" 200' not in line]
            lines = [line for line in lines if not line.startswith("INFO:")]
            parts.append(f"--- {path.name}\n" + "\n".join(lines[-60:]))
        return "\n".join(parts)

    def stop(self) -> None:
        for process in [*self.workers, *([self.server] if self.server else [])]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *([self.server] if self.server else [])]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# --- seeding --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    client_id: str
    client_secret: str


def seed(database: Database, braze_url: str, receiver_url: str, observed: Observed, count: int) -> Seed:
    """The account (Braze pointed at the stand-in, a webhook endpoint), its calendar, `count` subscribers."""
    settings = database.settings
    with database.transaction() as session:
        accounts.create_account(session=session, code=ACCOUNT, name="Scale")
        accounts.set_braze(
            session=session,
            cipher=Cipher(settings.secret_key),
            code=ACCOUNT,
            rest_endpoint=braze_url,
            api_key=FakeBraze.api_key,
            allow_private_destinations=True,
        )
        calendar = calendars.create_calendar(
            session=session,
            account_code=ACCOUNT,
            code=CALENDAR,
            settings=calendars.CalendarSettings(title="Scale"),
            tags=(TAG,),
        )
        # Landing-page subscribers give an e-mail only: Braze knows them by their subscription id.
        calendar.subscriber_id_fallback = True
        webhook_endpoints.add_endpoint(
            session=session,
            cipher=Cipher(settings.secret_key),
            account_code=ACCOUNT,
            url=receiver_url,
            event_types=["Subscribe", "Unsubscribe", "SubscriptionEventAdded"],
            allow_private_destinations=True,
        )
        created = accounts.create_client(session=session, account_code=ACCOUNT)
        client = Seed(created.client.client_id, created.client_secret)
    for number in range(count):
        with database.transaction() as session:
            done = subscriptions.subscribe(
                session=session,
                settings=settings,
                account_code=ACCOUNT,
                calendar_code=CALENDAR,
                details=subscriptions.SubscriberDetails(subscriber_id=f"scale-user-{number}", tags=(TAG,)),
            )
            sid = done.subscription.id
            observed.seeded[sid] = f"scale-user-{number}"
            observed.feeds[sid] = urlsplit(subscriptions.feed_url(settings, done.subscription)).path
    return client


# --- the load -------------------------------------------------------------------------------------------


class Load:
    """Paced threads, one kind of request each, until `stop` is set."""

    def __init__(self, base: str, observed: Observed, braze: FakeBraze, seeded: Seed, plan: Plan) -> None:
        self.base = base
        self.observed = observed
        self.braze = braze
        self.seeded = seeded
        self.plan = plan
        self.stop = threading.Event()
        self._counter = 0
        self._counter_lock = threading.Lock()
        self._etags: dict[str, str] = {}  # feed path -> the last ETag, sent back as a calendar app does

    def _next(self) -> int:
        with self._counter_lock:
            self._counter += 1
            return self._counter

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, transport=RecordingTransport(self.observed), timeout=30, follow_redirects=False
        )

    def _paced(self, rate: float, action: Callable[[httpx.Client], None]) -> Callable[[], None]:
        def loop() -> None:
            interval = 1 / rate
            with self.client() as client:
                upcoming = time.monotonic() + random.random() * interval
                while not self.stop.is_set():
                    pause = upcoming - time.monotonic()
                    if pause > 0 and self.stop.wait(pause):
                        return
                    upcoming = max(upcoming + interval, time.monotonic() - 1)
                    try:
                        action(client)
                    except httpx.HTTPError:
                        pass  # recorded by the transport; the load goes on
                    except Exception as error:  # an answer the load did not expect: counted, never silent
                        with self.observed.lock:
                            self.observed.load_errors[f"{action.__name__}: {type(error).__name__}: {error}"[:200]] += 1

        return loop

    def threads(self) -> list[threading.Thread]:
        plan = self.plan
        pace = [
            (plan.feed_polls_per_second / 4, self.poll_feed, 4),
            (plan.events_per_second / 2, self.send_event, 2),
            (plan.subscribes_per_second, self.subscribe, 1),
            (plan.unsubscribes_per_second, self.unsubscribe, 1),
        ]
        return [
            threading.Thread(target=self._paced(rate, action), daemon=True, name=action.__name__)
            for rate, action, count in pace
            for _ in range(count)
        ]

    # -- feed polls: conditional, as calendar apps poll

    def poll_feed(self, client: httpx.Client) -> None:
        with self.observed.lock:
            paths = list(self.observed.feeds.values())
        path = random.choice(paths)
        etag = self._etags.get(path)
        response = client.get(path, headers={"If-None-Match": etag} if etag else {})
        if response.status_code == 200 and "etag" in response.headers:
            self._etags[path] = response.headers["etag"]

    # -- personal events: the shipped template, for a user as Braze holds them after calcast's sync

    def send_event(self, client: httpx.Client) -> None:
        external_id = random.choice(list(self.observed.seeded.values()))
        profile = self.braze.profile(external_id)
        user = BrazeUser(standard={"user_id": external_id}, custom_attributes=dict(profile.attributes))
        number = self._next()
        title = f"Scale event {number}"
        template = shipped_template("new-event").with_base_url(self.base)
        body = template.body.replace("Event_0001", f"scale-{number}").replace("Event Title", title)
        simulator = BrazeSimulator(
            credentials=Credentials.from_pair(f"{self.seeded.client_id}:{self.seeded.client_secret}"),
            client=client,
            retry_delay=1.0,
            max_wait=10.0,
        )
        delivery = simulator.send(replace(template, body=body), user)
        if delivery.delivered and delivery.status_code == 202:
            ids = json.loads(delivery.request_body)["subscriptionIds"]
            with self.observed.lock:
                self.observed.accepted_events[title] = [str(item) for item in ids]
        else:
            with self.observed.lock:
                self.observed.events_not_delivered[f"{delivery.outcome} {delivery.status_code}"] += 1

    # -- a visitor of the landing page subscribes (and retries a 503 after Retry-After, as the page says)

    def subscribe(self, client: httpx.Client) -> None:
        landing = f"/{ACCOUNT}/{CALENDAR}"
        page = client.get(landing)
        found = _FORM_TOKEN.search(page.text)
        if page.status_code != 200 or found is None:
            return
        form = {"form_token": found.group(1), "email": f"fan-{self._next()}@example.com", "tags": TAG}
        answer = _retried(lambda: client.post(landing, data=form), self.stop)
        if answer is None or answer.status_code != 303:
            return
        location = urlsplit(answer.headers["location"]).path
        manage = location.removesuffix("/add")
        subscription_id = manage.split("/")[2]
        with self.observed.lock:
            self.observed.subscribed[subscription_id] = manage
        added = _retried(lambda: client.get(location), self.stop)
        feed = _FEED_PATH.search(added.text) if added is not None and added.status_code == 200 else None
        if feed is not None:
            with self.observed.lock:
                if subscription_id not in self.observed.unsubscribed:
                    self.observed.feeds[subscription_id] = feed.group(0)

    # -- a subscriber leaves through the manage page

    def unsubscribe(self, client: httpx.Client) -> None:
        with self.observed.lock:
            candidates = [sid for sid in self.observed.subscribed if sid not in self.observed.unsubscribed]
        if not candidates:
            return
        subscription_id = random.choice(candidates)
        manage = self.observed.subscribed[subscription_id]
        page = _retried(lambda: client.get(manage), self.stop)
        found = _FORM_TOKEN.search(page.text) if page is not None and page.status_code == 200 else None
        if found is None:
            return
        form = {"form_token": found.group(1), "reason": ""}
        answer = _retried(lambda: client.post(f"{manage}/unsubscribe", data=form), self.stop)
        if answer is not None and answer.status_code == 303:
            with self.observed.lock:
                self.observed.unsubscribed.add(subscription_id)
                self.observed.feeds.pop(subscription_id, None)


def _retried(send: Callable[[], httpx.Response], stop: threading.Event, attempts: int = 8) -> httpx.Response | None:
    """Send; on a 503 wait Retry-After, on a lost connection a second, and try again (as a person would)."""
    for _ in range(attempts):
        try:
            response = send()
        except httpx.TransportError:
            time.sleep(1)
            continue
        if response.status_code != 503:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "1")), 10))
    return None


# --- the run --------------------------------------------------------------------------------------------


@dataclass
class Report:
    plan: Plan
    observed: Observed
    reconciliation: list[tuple[str, bool, str]]  # (check, passed, detail)
    violations: list[str]
    outbox: dict[str, int]
    logs: str = ""

    @property
    def passed(self) -> bool:
        return not self.violations and all(ok for _, ok, _ in self.reconciliation)


def run(plan: Plan, *, log: Callable[[str], None] = print) -> Report:
    observed = Observed()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="calcast-scale-")))
        postgres = PrivatePostgres(folder / "pg")
        stack.callback(postgres.stop)
        postgres.start()
        log(f"PostgreSQL (private) on port {postgres.port}")
        redis_url = stack.enter_context(private_redis(folder))
        braze = stack.enter_context(running_fake_braze(delay_seconds=BRAZE_LATENCY_SECONDS))
        receiver = stack.enter_context(running_receiver())
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith("CALCAST_")},
            "CALCAST_ENVIRONMENT": "production",
            "CALCAST_SECRET_KEY": SECRET_KEY,
            "CALCAST_DATABASE_URL": postgres.url,
            "CALCAST_BASE_URL": base,
            "CALCAST_REDIS_URL": redis_url,
            "CALCAST_RUN_WORKER_IN_SERVER": "false",
            "CALCAST_ALLOW_PRIVATE_DESTINATIONS": "true",
            # Every visitor comes from 127.0.0.1 here; the limit is still counted in Redis by both processes.
            "CALCAST_SUBSCRIBE_RATE_PER_MINUTE": "100000",
            "CALCAST_MANAGE_RATE_PER_MINUTE": "100000",
            # A killed worker's rows come back after this long (60 s by default).
            "CALCAST_OUTBOX_LEASE_SECONDS": "15",
            "CALCAST_OUTBOX_BACKOFF_MAX_SECONDS": "20",
            "CALCAST_METRICS_DIR": str(folder / "metrics"),
        }
        settings = Settings(
            database_url=postgres.url,
            secret_key=SECRET_KEY,
            environment="production",
            base_url=base,
            allow_private_destinations=True,
        )
        database = assembly.database(settings)
        stack.callback(database.dispose)
        upgrade(settings, database.engine)
        seeded = seed(database, braze.url, receiver.url, observed, plan.seeded)
        deployment = Deployment(folder, environment, port)
        stack.callback(deployment.stop)
        deployment.start()
        log(f"calcast serve --workers 2 (pids {deployment.web_processes()}), 2 workers; {plan.seeded} subscribers")
        _wait_for_profiles(braze, observed, timeout=60)

        load = Load(base, observed, braze, seeded, plan)
        threads = load.threads()
        observed.started = time.monotonic()
        for thread in threads:
            thread.start()
        faults = [
            (plan.kill_web_at, "SIGKILL a web process", deployment.kill_web_process),
            (plan.kill_worker_at, "SIGKILL a worker, start it again", deployment.kill_and_restart_worker),
            (plan.restart_database_at, "restart PostgreSQL", lambda window: _restart(postgres, window)),
        ]
        for at, name, act in faults:
            _sleep_until(observed.started + at * plan.seconds)
            window = Window(name, time.monotonic())
            observed.faults.append(window)
            log(f"  {window.start - observed.started:6.1f} s  {name}")
            act(window)
            log(f"           {window.note}")
        _sleep_until(observed.started + plan.seconds)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        log(f"load stopped after {time.monotonic() - observed.started:.0f} s; draining the outbox")
        outbox = _drain(database, plan.drain_timeout_seconds)
        with httpx.Client(base_url=base, timeout=30) as client:
            reconciliation = reconcile(observed, braze, receiver, database, client, redis_url, outbox)
        violations = outcome_violations(observed) + deployment.alive()
        violations += [f"the load stumbled: {text} ({count}×)" for text, count in observed.load_errors.items()]
        return Report(plan, observed, reconciliation, violations, outbox, logs=deployment.logs())
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack swallows nothing


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _restart(postgres: PrivatePostgres, window: Window) -> None:
    postgres.restart()
    window.end = time.monotonic()
    window.note = f"down and up again in {window.end - window.start:.1f} s"


def _wait_for_profiles(braze: FakeBraze, observed: Observed, timeout: float) -> None:
    """Until the stand-in holds every seeded subscriber's profile (the workers synced them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(braze.profile(user).attributes.get("rokt:subscription_id") for user in observed.seeded.values()):
            return
        time.sleep(0.2)
    raise RuntimeError("the workers did not sync the seeded subscribers to the Braze stand-in within a minute")


def _drain(database: Database, timeout: float) -> dict[str, int]:
    """Wait until no outbox row is pending; returns rows by status."""
    deadline = time.monotonic() + timeout
    while True:
        with database.sessions() as session:
            rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            counts = {str(status): int(count) for status, count in rows}
        if not counts.get("pending") or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


# --- judging --------------------------------------------------------------------------------------------


def outcome_violations(observed: Observed) -> list[str]:
    """5xx other than a 503 with Retry-After during the database restart; connection errors away from the web
    process kill."""
    restart = [w for w in observed.faults if w.name == "restart PostgreSQL"]
    kill = [w for w in observed.faults if w.name == "SIGKILL a web process"]

    def within(windows: list[Window], at: float, grace: float) -> bool:
        return any(w.start - 1 <= at <= (w.end or w.start) + grace for w in windows)

    found: Counter[str] = Counter()
    for sample in observed.samples:
        answered = sample.at + sample.milliseconds / 1000  # a request sent before a fault may end in it
        if sample.status is None:
            if not within(kill, answered, KILL_GRACE_SECONDS):
                found[f"{sample.route}: connection error outside the web process kill"] += 1
        elif sample.status == 503:
            if not sample.retry_after:
                found[f"{sample.route}: 503 without Retry-After"] += 1
            elif not within(restart, answered, RESTART_GRACE_SECONDS):
                found[f"{sample.route}: 503 outside the database restart"] += 1
        elif sample.status >= 500:
            found[f"{sample.route}: {sample.status}"] += 1
    return [f"{text} ({count}×)" for text, count in found.items()]


def reconcile(
    observed: Observed,
    braze: FakeBraze,
    receiver: Receiver,
    database: Database,
    client: httpx.Client,
    redis_url: str,
    outbox: dict[str, int],
) -> list[tuple[str, bool, str]]:
    checks: list[tuple[str, bool, str]] = []

    # Personal events: each accepted one is in the feed of every subscriber it named.
    titles: dict[str, set[str]] = {}
    for subscription_id in {sid for ids in observed.accepted_events.values() for sid in ids}:
        path = observed.feeds.get(subscription_id)
        text = client.get(path).text if path else ""
        titles[subscription_id] = {
            line.removeprefix("SUMMARY:").strip() for line in text.splitlines() if line.startswith("SUMMARY:")
        }
    missing = [
        (title, sid) for title, ids in observed.accepted_events.items() for sid in ids if title not in titles[sid]
    ]
    checks.append(
        (
            "personal events accepted (202) are in their subscribers' feeds",
            not missing and bool(observed.accepted_events),
            f"{len(observed.accepted_events)} accepted, {len(missing)} missing"
            + (f" e.g. {missing[:3]}" if missing else ""),
        )
    )

    # Subscription changes: every subscribe and unsubscribe reached the Braze stand-in.
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for item in braze.accepted_events():
        seen[str(item.get("name"))][str((item.get("properties") or {}).get("subscription_id"))] += 1
    made = set(observed.seeded) | set(observed.subscribed)
    lost_subscribes = sorted(made - set(seen["subscribe"]))
    lost_unsubscribes = sorted(observed.unsubscribed - set(seen["unsubscribe"]))
    duplicates = sum(count - 1 for name in ("subscribe", "unsubscribe") for count in seen[name].values())
    checks.append(
        (
            "every subscription reached Braze (subscribe event)",
            not lost_subscribes,
            f"{len(made)} made ({len(observed.subscribed)} through the landing page), {len(lost_subscribes)} lost",
        )
    )
    checks.append(
        (
            "every unsubscription reached Braze (unsubscribe event)",
            not lost_unsubscribes,
            f"{len(observed.unsubscribed)} made, {len(lost_unsubscribes)} lost; "
            f"{duplicates} duplicate events in all (at-least-once; Braze keys them by subscription_id)",
        )
    )

    # Webhooks: every row delivered (and received) or visible as failed; none still pending.
    received = {str(envelope.get("eventId")) for envelope in receiver.envelopes()}
    with database.sessions() as session:
        rows = session.execute(
            select(OutboxMessage.status, OutboxMessage.topic, OutboxMessage.payload).where(
                OutboxMessage.kind == WEBHOOK_KIND
            )
        ).all()
    by_status = Counter(str(status) for status, _, _ in rows)
    by_topic = Counter(str(topic) for _, topic, _ in rows)
    unreceived = [p for status, _, p in rows if str(status) == "done" and str(p["envelope"]["eventId"]) not in received]
    pending = by_status.get("pending", 0)
    expected = {
        "Subscribe": len(made),
        "Unsubscribe": len(observed.unsubscribed),
        "SubscriptionEventAdded": sum(len(ids) for ids in observed.accepted_events.values()),
    }
    short = {topic: (by_topic.get(topic, 0), want) for topic, want in expected.items() if by_topic.get(topic, 0) < want}
    checks.append(
        (
            "every webhook delivered or visible as failed",
            not unreceived and not pending and not short,
            f"{len(rows)} rows: {dict(by_status)}; {len(unreceived)} done but not received; "
            f"per type {dict(by_topic)}" + (f"; fewer than the changes: {short}" if short else ""),
        )
    )
    checks.append(
        (
            "the outbox drained (Braze and webhooks)",
            not outbox.get("pending"),
            ", ".join(f"{status} {count}" for status, count in sorted(outbox.items())),
        )
    )

    # Redis held the rate limits both web processes counted.
    keys = redis.Redis.from_url(redis_url).dbsize()
    checks.append(("rate limits shared through Redis", bool(keys), f"{keys} keys in the private Redis"))
    return checks


# --- the tables -----------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def outcome_of(sample: Sample) -> str:
    if sample.status is None:
        return "conn. error"
    if sample.status == 503:
        return "503" + ("+RA" if sample.retry_after else "")
    if sample.status >= 500:
        return "5xx"
    if sample.status == 304:
        return "304"
    return f"{sample.status // 100}xx"


def tables(report: Report) -> str:
    observed = report.observed
    outcomes = ["2xx", "304", "3xx", "4xx", "503+RA", "503", "5xx", "conn. error"]
    routes: dict[str, list[Sample]] = defaultdict(list)
    for sample in observed.samples:
        routes[sample.route].append(sample)
    lines = [
        f"| route | requests | {' | '.join(outcomes)} | p50 ms | p99 ms |",
        "|---" * (len(outcomes) + 4) + "|",
    ]
    for route in sorted(routes):
        samples = routes[route]
        counts = Counter(outcome_of(sample) for sample in samples)
        answered = [s.milliseconds for s in samples if s.status is not None]
        lines.append(
            f"| {route} | {len(samples):,} | "
            + " | ".join(f"{counts[o]:,}" if counts[o] else "" for o in outcomes)
            + f" | {statistics.median(answered) if answered else 0:.1f} | {percentile(answered, 0.99):.1f} |"
        )
    duration = report.plan.seconds
    lines.append("")
    lines.append(f"{len(observed.samples):,} requests in {duration:.0f} s ({len(observed.samples) / duration:.0f}/s)")
    lines.append("")
    lines.append("Faults:")
    for window in observed.faults:
        lines.append(f"  at {window.start - observed.started:6.1f} s  {window.name}: {window.note}")
    if observed.events_not_delivered:
        lines.append(f"Personal events not delivered by the simulated Braze: {dict(observed.events_not_delivered)}")
    lines.append("")
    lines.append("Reconciliation:")
    for check, passed, detail in report.reconciliation:
        lines.append(f"  {'ok  ' if passed else 'FAIL'} {check}: {detail}")
    lines.append("")
    lines.append("Outcome rules: " + ("ok" if not report.violations else "VIOLATED"))
    lines.extend(f"  {violation}" for violation in report.violations)
    return "\n".join(lines)
