"""`calcast event import`: events from an .ics, CSV or JSON lines file or URL into a calendar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.core import outbound
from calcast.core.cli import JsonOption, command_errors, emit, open_database
from calcast.core.config import Settings
from calcast.imports import service
from calcast.imports.service import ImportReport


def _load(source: str, settings: Settings) -> tuple[bytes, str]:
    """The source's bytes and the name its format may be told by: a URL is fetched, anything else is a file."""
    if "://" in source:
        url = calendars.fetchable_url(source)
        outbound.check_destination(url, allow_private=settings.allow_private_destinations, what="source URL")
        return service.fetch(url, settings=settings).body, url
    return service.read_file(source), source


def _lines(report: ImportReport) -> list[str]:
    return (
        [f"+ {key}\t{title}" for key, title in report.added]
        + [f"~ {key}\t{title}" for key, title in report.changed]
        + [f"- {key}\t{title}" for key, title in report.removed]
    )


def _summary(report: ImportReport, *, dry_run: bool) -> str:
    if dry_run:
        return (
            f"Dry run, nothing was written: {len(report.added)} to add, {len(report.changed)} to change, "
            f"{len(report.removed)} to remove, {report.unchanged} unchanged."
        )
    return (
        f"Imported: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged."
    )


@contextmanager
def _progress(*, shown: bool) -> Iterator[Progress]:
    """A progress bar on standard error (standard output stays for the result), when that is a terminal."""
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not (shown and console.is_terminal),
    )
    with progress:
        yield progress


def import_events(
    account: str,
    calendar: str,
    source: Annotated[str, typer.Argument(help="An .ics, .csv or .jsonl file, or an https:// (or webcal://) URL.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be added, changed and removed; write nothing.")
    ] = False,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Events that name no tags of their own get this tag.")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Import events from a file or URL: upserted by key (the iCalendar UID), those the source no longer lists
    removed (docs/import.md)."""
    with open_database() as database, command_errors():
        settings = database.settings
        body, name = _load(source, settings)
        content = service.read(body, name=name, settings=settings)

        def run(session: Session, progress: Callable[[int], None] | None = None) -> ImportReport:
            return service.apply_import(
                session=session,
                settings=settings,
                account_code=account,
                calendar_code=calendar,
                import_source=service.import_source_of(source),
                content=content,
                tag=tag,
                progress=progress,
            )

        if dry_run:
            with database.sessions() as session:
                report = run(session)
                session.rollback()
        else:
            total = len(content.events)
            with _progress(shown=not as_json) as bar, database.transaction() as session:
                task = bar.add_task("import", total=total)
                report = run(session, lambda done: bar.advance(task, done))
    result = {
        "dry_run": dry_run,
        "added": [key for key, _ in report.added],
        "changed": [key for key, _ in report.changed],
        "removed": [key for key, _ in report.removed],
        "unchanged": report.unchanged,
    }
    emit(result, as_json=as_json, human="\n".join([*_lines(report), _summary(report, dry_run=dry_run)]))
