"""`calcast user create|list|remove`, and the one-time link to set a password."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.console import service
from calcast.console.models import ConsoleSession
from calcast.core.db import Database
from calcast.core.errors import Invalid
from tests.conftest import Cli, Persona
from tests.console.conftest import PASSWORD
from tests.console.test_sign_in import sign_in

NEW_PASSWORD = "a long and new passphrase"


def test_it_creates_a_person_with_a_password_from_stdin(
    cli: Cli, client: TestClient, database: Database, owner: Persona
) -> None:
    done = cli(
        "user",
        "create",
        "Ana@Example.com",
        "--account",
        "owner",
        "--role",
        "editor",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert done.exit_code == 0, done.stderr
    assert "ana@example.com is editor of owner." in done.stdout
    assert "/console/password/" not in done.stdout
    assert sign_in(client, email="ana@example.com").status_code == 303
    listed = cli("user", "list", "owner")
    assert "ana@example.com\teditor\tlast sign-in " in listed.stdout


def test_without_a_password_it_prints_a_link_that_sets_one_once(
    cli: Cli, client: TestClient, database: Database, owner: Persona
) -> None:
    done = cli("user", "create", "bo@example.com", "--account", "owner", "--role", "viewer")
    assert done.exit_code == 0, done.stderr
    link = re.search(r"https://calcast\.test(/console/password/\S+)", done.stdout)
    assert link is not None, done.stdout
    assert "bo@example.com\tviewer\tnever signed in (no password yet)" in cli("user", "list", "owner").stdout
    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert "For bo@example.com." in page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    differ = client.post(path, data={"form_token": token, "password": NEW_PASSWORD, "password_again": "other"})
    assert differ.status_code == 422
    short = client.post(path, data={"form_token": token, "password": "short", "password_again": "short"})
    assert short.status_code == 422
    assert "12 to 1024 characters" in short.text
    data = {"form_token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    done_page = client.post(path, data=data, follow_redirects=False)
    assert done_page.status_code == 303
    assert client.get("/console/owner").status_code == 200  # signed in by setting the password
    again = client.post(path, data=data, follow_redirects=False)
    assert again.status_code == 404
    assert "it was used already, has expired or is incomplete" in again.text
    assert client.get(path).status_code == 404
    assert sign_in(client, email="bo@example.com", password=NEW_PASSWORD).status_code == 303


def test_a_link_expires_and_cannot_be_forged(database: Database, owner: Persona) -> None:
    settings = database.settings
    with database.transaction() as session:
        member = service.add_member(session=session, email="cy@example.com", account_code="owner", role="viewer")
        link = service.password_link(settings=settings, user=member.user)
        token = link.rsplit("/", 1)[1]
        later = time.time() + settings.console_link_hours * 3600 + 60
        with pytest.raises(Invalid):
            service.user_of_password_link(session=session, settings=settings, token=token, now=later)
        user_id, expires, mac = token.split(".")
        for forged in (f"{user_id}.{int(expires) + 3600}.{mac}", f"{user_id}.{expires}.{mac[:-2]}xx", "x.y.z", ""):
            with pytest.raises(Invalid):
                service.user_of_password_link(session=session, settings=settings, token=forged)
        assert service.user_of_password_link(session=session, settings=settings, token=token).email == "cy@example.com"


def test_it_refuses_an_unknown_role_account_or_address(cli: Cli, owner: Persona) -> None:
    role = cli("user", "create", "a@example.com", "--account", "owner", "--role", "admin")
    assert role.exit_code == 2
    account = cli("user", "create", "a@example.com", "--account", "nobody", "--role", "viewer")
    assert account.exit_code == 1
    assert "There is no account with the code 'nobody'" in account.stderr
    address = cli("user", "create", "not-an-address", "--account", "owner", "--role", "viewer")
    assert address.exit_code == 1
    assert "'not-an-address' is not a valid e-mail address" in address.stderr
    empty = cli(
        "user", "create", "a@example.com", "--account", "owner", "--role", "viewer", "--password-stdin", input="\n"
    )
    assert empty.exit_code == 1
    assert "No password on standard input" in empty.stderr


def test_removing_a_person_ends_their_access_and_sessions(
    cli: Cli, client: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    for account in ("owner", "other"):
        cli(
            "user",
            "create",
            "dee@example.com",
            "--account",
            account,
            "--role",
            "owner",
            "--password-stdin",
            input=PASSWORD,
        )
    assert sign_in(client, email="dee@example.com").status_code == 303
    assert cli("user", "remove", "dee@example.com", "--account", "owner").exit_code == 0
    assert client.get("/console/owner").status_code == 404
    assert client.get("/console/other").status_code == 200  # the other account is still theirs
    assert cli("user", "remove", "dee@example.com", "--account", "other").exit_code == 0
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 0  # deleted with the person
    assert client.get("/console", follow_redirects=False).status_code == 302
    missing = cli("user", "remove", "dee@example.com", "--account", "owner")
    assert missing.exit_code == 1
    assert "has no access to the account 'owner'" in missing.stderr
