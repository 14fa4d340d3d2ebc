"""`calcast braze test ACCOUNT` and the console's "Send a test": one users.track request for a test profile."""

from __future__ import annotations

import json

from tests.conftest import Cli, Persona
from tests.support.fake_braze import FakeBraze


def test_it_prints_brazes_answer_and_fails_unless_braze_accepted(cli: Cli, braze: FakeBraze) -> None:
    accepted = cli("braze", "test", "owner", "--json")
    assert accepted.exit_code == 0, accepted.stderr
    assert json.loads(accepted.stdout)["status"] == 201
    assert braze.profile("calcast-test-user").attributes["calcast_test_sent_at"]
    braze.fail_with = 401
    refused = cli("braze", "test", "owner")
    assert refused.exit_code == 1
    assert refused.stdout.startswith("Braze answered 401:")


def test_without_braze_settings_it_says_how_to_set_them(cli: Cli, other: Persona) -> None:
    refused = cli("braze", "test", "other")
    assert refused.exit_code == 1
    assert "Braze is not configured for this account; set it with `calcast account set-braze`" in refused.stderr
