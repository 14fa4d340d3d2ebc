from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from calcast.accounts.models import Account, OAuthClient
from calcast.core.db import Database
from calcast.core.security import Cipher
from tests.conftest import Cli


def count(database: Database, model: Any) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_it_creates_an_account_and_prints_it_as_json(cli: Cli) -> None:
    done = cli("account", "create", "brazetest", "--name", "Braze Test", "--json")
    assert done.exit_code == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["code"] == "brazetest"
    assert created["name"] == "Braze Test"
    assert created["braze_configured"] is False
    listed = json.loads(cli("account", "list", "--json").stdout)
    assert [account["code"] for account in listed] == ["brazetest"]


def test_a_duplicate_account_code_is_refused_and_nothing_is_written(cli: Cli, database: Database) -> None:
    cli("account", "create", "brazetest", "--name", "Braze Test")
    done = cli("account", "create", "brazetest", "--name", "Someone Else")
    assert done.exit_code == 1
    assert done.stderr.strip() == "Error: An account with the code 'brazetest' already exists; choose another code."
    assert count(database, Account) == 1


def test_reserved_and_malformed_codes_are_refused(cli: Cli, database: Database) -> None:
    for code in ("webcal", "v1", "Brand With Spaces", "edge-"):
        done = cli("account", "create", code, "--name", "X")
        assert done.exit_code == 1
        assert done.stderr.startswith("Error: The account code"), done.stderr
    assert count(database, Account) == 0


def test_set_braze_stores_the_key_encrypted(cli: Cli, database: Database) -> None:
    cli("account", "create", "brazetest", "--name", "Braze Test")
    done = cli(
        "account",
        "set-braze",
        "brazetest",
        "--rest-endpoint",
        "https://rest.fra-02.braze.eu/",
        "--api-key",
        "k-123",
    )
    assert done.exit_code == 0, done.stderr
    with database.sessions() as session:
        account = session.scalars(select(Account)).one()
        assert account.braze_rest_endpoint == "https://rest.fra-02.braze.eu"
        assert account.braze_api_key_encrypted is not None
        assert b"k-123" not in account.braze_api_key_encrypted
        assert Cipher(database.settings.secret_key).decrypt(account.braze_api_key_encrypted) == "k-123"


def test_set_braze_on_an_unknown_account_fails_clearly(cli: Cli) -> None:
    done = cli("account", "set-braze", "nobody", "--rest-endpoint", "https://x.braze.com", "--api-key", "k")
    assert done.exit_code == 1
    assert "There is no account with the code 'nobody'" in done.stderr


def test_a_client_secret_is_shown_once_and_stored_as_a_digest(cli: Cli, database: Database) -> None:
    cli("account", "create", "brazetest", "--name", "Braze Test")
    done = cli("client", "create", "brazetest", "--json")
    credentials = json.loads(done.stdout)
    assert set(credentials) == {"client_id", "client_secret"}
    assert len(credentials["client_secret"]) >= 43  # 256 bits, URL-safe base64
    with database.sessions() as session:
        stored = session.scalars(select(OAuthClient)).one()
        assert credentials["client_secret"] not in stored.secret_digest
    listed = cli("client", "list", "brazetest")
    assert credentials["client_id"] in listed.stdout
    assert credentials["client_secret"] not in listed.stdout


def test_a_revoked_client_is_listed_as_revoked(cli: Cli) -> None:
    cli("account", "create", "brazetest", "--name", "Braze Test")
    client_id = json.loads(cli("client", "create", "brazetest", "--json").stdout)["client_id"]
    assert cli("client", "revoke", client_id).exit_code == 0
    assert "revoked" in cli("client", "list", "brazetest").stdout
    assert cli("client", "revoke", "no-such-client").exit_code == 1


def test_client_create_for_an_unknown_account_writes_nothing(cli: Cli, database: Database) -> None:
    done = cli("client", "create", "ghost")
    assert done.exit_code == 1
    assert count(database, OAuthClient) == 0


def test_the_link_key_is_shown_once_stored_encrypted_and_rotatable(cli: Cli, database: Database) -> None:
    cli("account", "create", "brazetest", "--name", "Braze Test")
    done = cli("account", "link-key", "brazetest", "--json")
    assert done.exit_code == 0, done.stderr
    key = json.loads(done.stdout)["link_key"]
    assert len(key) == 64
    with database.sessions() as session:
        stored = session.scalars(select(Account)).one().link_key_encrypted
        assert stored is not None
        assert key.encode() not in stored
        assert Cipher(database.settings.secret_key).decrypt(stored) == key

    again = cli("account", "link-key", "brazetest")
    assert again.exit_code == 1
    assert again.stderr.strip() == (
        "Error: The account 'brazetest' already has a link key; it is shown only when it is created. "
        "Pass --rotate to replace it (links signed with the old key are no longer trusted)."
    )
    rotated = cli("account", "link-key", "brazetest", "--rotate")
    assert rotated.exit_code == 0, rotated.stderr
    new_key = rotated.stdout.splitlines()[0].removeprefix("link key: ")
    assert len(new_key) == 64
    assert new_key != key
    assert json.loads(cli("account", "list", "--json").stdout)[0]["link_key_configured"] is True
