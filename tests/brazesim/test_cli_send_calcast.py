"""`calcast braze send` against the real app served by uvicorn: Braze's Test tab, end to end over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from calcast.brazesim.templates import load_template
from calcast.core.db import Database
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.subscriptions.models import Subscription
from tests.brazesim.live_server import serve_calcast
from tests.conftest import Cli, Persona
from tests.rokt_api import stored_event, subscribe

SEED = Path(__file__).parent / "seed_templates"


@pytest.fixture
def calcast_url(database: Database) -> Iterator[str]:
    with serve_calcast(database) as url:
        yield url


def profile(database: Database, persona: Persona, external_id: str, tmp_path: Path) -> Path:
    """The Braze profile calcast's sync builds for a subscriber: rokt:* arrays keyed by the suffix."""
    subscription_id = subscribe(database, persona, external_id)
    with database.sessions() as session:
        suffix = session.get_one(Subscription, subscription_id).suffix
    path = tmp_path / f"{external_id}.json"
    path.write_text(
        json.dumps(
            {
                "external_id": external_id,
                "custom_attributes": {
                    "rokt:account_code": [f"{persona.account_code}/{suffix}"],
                    "rokt:subscription_id": [subscription_id],
                },
            }
        )
    )
    return path


def titled(template: str, title: str, tmp_path: Path) -> Path:
    """A copy of a template whose event title is `title` (what a marketer types into the capture)."""
    text = load_template(template).to_text()
    changed = text.replace(
        "{% capture eventTitle %}Event Title{% endcapture %}", f"{{% capture eventTitle %}}{title}{{% endcapture %}}"
    )
    assert changed != text
    path = tmp_path / f"titled-{Path(template).stem}.liquid"
    path.write_text(changed, encoding="utf-8")
    return path


def send(cli: Cli, template: str | Path, user: Path, url: str, owner: Persona, *extra: str) -> Any:
    return cli(
        "braze", "send", str(template), "--user", str(user), "--base-url", url,
        "--credentials", f"{owner.client_id}:{owner.client_secret}", "--retry-delay", "0", *extra,
    )  # fmt: skip


def targets(database: Database, event_id: str) -> list[str]:
    with database.sessions() as session:
        event = session.scalar(select(PersonalEvent).where(PersonalEvent.event_id == event_id))
        if event is None:
            return []
        rows = session.scalars(select(PersonalEventTarget).where(PersonalEventTarget.personal_event_id == event.id))
        return [row.subscription_id for row in rows]


def test_the_new_event_template_stores_the_event_for_the_profiles_subscription(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    user = profile(database, owner, "ext-42", tmp_path)
    result = send(cli, "new-event", user, calcast_url, owner)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ext-42: delivered 202")
    event = stored_event(database, "Event_0001_ext-42")
    assert event is not None
    assert event.title == "Event Title"
    subscription_id = json.loads(user.read_text())["custom_attributes"]["rokt:subscription_id"][0]
    assert targets(database, "Event_0001_ext-42") == [subscription_id]


def test_the_partner_pages_own_template_works_unchanged_but_for_the_host(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    user = profile(database, owner, "ext-43", tmp_path)
    result = send(cli, SEED / "seed-new-event.liquid", user, calcast_url, owner)
    assert result.exit_code == 0, result.stderr
    assert "delivered 202" in result.stdout
    assert stored_event(database, "Event_0001_ext-43") is not None


def test_a_quote_in_the_title_gets_a_clear_400_from_the_unescaped_template_and_works_escaped(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    user = profile(database, owner, "ext-44", tmp_path)
    title = 'The "Big" Match'
    broken = send(cli, titled(str(SEED / "seed-new-event.liquid"), title, tmp_path), user, calcast_url, owner)
    assert broken.exit_code == 1
    line = broken.stdout.strip()
    assert line.startswith("ext-44: dropped 400 - ")  # Braze drops a 400 for good: no retry
    assert "JSON" in line
    assert "line" in line or "column" in line or "position" in line
    assert stored_event(database, "Event_0001_ext-44") is None

    fixed = send(cli, titled("new-event", title, tmp_path), user, calcast_url, owner)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    event = stored_event(database, "Event_0001_ext-44")
    assert event is not None
    assert event.title == title


def test_update_changes_the_event_and_delete_removes_it(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    user = profile(database, owner, "ext-45", tmp_path)
    assert send(cli, "new-event", user, calcast_url, owner).exit_code == 0
    updated = send(cli, titled("update-event", "Kick-off moved", tmp_path), user, calcast_url, owner)
    assert updated.exit_code == 0, updated.stdout
    event = stored_event(database, "Event_0001_ext-45")
    assert event is not None
    assert event.title == "Kick-off moved"
    deleted = send(cli, "delete-event", user, calcast_url, owner)
    assert deleted.exit_code == 0, deleted.stdout
    assert "delivered 202" in deleted.stdout
    assert stored_event(database, "Event_0001_ext-45") is None


def test_wrong_credentials_are_named_as_the_cause_and_nothing_is_sent(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    user = profile(database, owner, "ext-46", tmp_path)
    for command in ("send", "render"):
        result = cli(
            "braze", command, "new-event", "--user", str(user), "--base-url", calcast_url,
            "--credentials", f"{owner.client_id}:wrong-secret", *(["--retry-delay", "0"] if command == "send" else []),
        )  # fmt: skip
        # Braze would send `Authorization: Bearer` with nothing after it; locally the credential is named instead.
        assert result.exit_code == 1, command
        assert result.stderr.strip() == (
            "Error: Connected Content: /oauth2/token answered 401 — check the credential's client id and secret."
        )
        assert "Authorization: Bearer" not in result.stdout
        assert "delivered" not in result.stdout
    assert stored_event(database, "Event_0001_ext-46") is None


def test_many_users_are_sent_with_a_progress_bar(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    lines = [profile(database, owner, f"fan-{n}", tmp_path).read_text() for n in range(5)]
    lines.append(json.dumps({"external_id": "fan-none", "custom_attributes": {}}))
    users = tmp_path / "users.jsonl"
    users.write_text("\n".join(lines) + "\n")
    result = cli(
        "braze", "send", "new-event", "--users", str(users), "--base-url", calcast_url,
        "--credentials", f"{owner.client_id}:{owner.client_secret}", "--retry-delay", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    outcomes = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in outcomes] == [f"fan-{n}" for n in range(5)] + ["fan-none"]
    assert all("delivered 202" in line for line in outcomes[:5])
    assert outcomes[5] == "fan-none: aborted - The user has no calcast subscription."
    assert "Sending" in result.stderr
    for n in range(5):
        assert stored_event(database, f"Event_0001_fan-{n}") is not None
