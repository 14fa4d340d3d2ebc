"""Subscriber data from the command line: the full list, one person's data, and erasure (GDPR)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from calcast.core.cli import JsonOption, emit, fail, unit_of_work
from calcast.subscribers import listing, privacy

export_app = typer.Typer(help="Subscriber data: the full list, or one person's (GDPR access requests).")


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@export_app.command("subscribers")
def export_subscribers(
    account: str,
    calendar: str | None = typer.Option(None, "--calendar", help="Only this calendar."),
    output_format: Format = typer.Option(
        Format.csv, "--format", help="csv (tags joined by |; a cell that would be a formula starts with ') or jsonl."
    ),
) -> None:
    """Every subscription of the account, oldest first, to stdout (JSON lines hold the values as stored)."""
    with unit_of_work() as (session, _):
        rows = privacy.subscriber_rows(session=session, account_code=account, calendar_code=calendar)
        if output_format is Format.jsonl:
            for row in rows:
                sys.stdout.write(json.dumps(row, default=listing.plain_text, ensure_ascii=False) + "\n")
            return
        sys.stdout.writelines(listing.csv_lines(rows))


@export_app.command("person")
def export_person(account: str, who: str = typer.Argument(..., help="External id or e-mail.")) -> None:
    """Everything stored about one person, as JSON (for a data access request)."""
    with unit_of_work() as (session, _):
        found = privacy.export_person(session=session, account_code=account, who=who)
        sys.stdout.write(json.dumps(found, default=listing.plain_text, ensure_ascii=False, indent=2) + "\n")


def forget(
    account: str,
    who: str = typer.Argument(..., help="External id or e-mail."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this cannot be undone."),
    as_json: bool = JsonOption,
) -> None:
    """Unsubscribe a person everywhere and erase what identifies them (GDPR erasure)."""
    if not yes:
        raise fail("Erasing personal data cannot be undone; add --yes to confirm.")
    with unit_of_work() as (session, _):
        count = privacy.forget_person(session=session, account_code=account, who=who)
        emit({"erased_subscriptions": count}, as_json=as_json, human=f"Erased {count} subscription(s) of {who}.")
