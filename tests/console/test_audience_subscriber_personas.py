"""Every audience and subscriber route for each of the five personas: the expected status, never another
account's data (another account's ids in the URL are 404, like ids that do not exist)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.console.test_audiences import EVENT, audience_path, define, match, upload
from tests.support.braze_sync import subscribe

NAMES = ("owner", "editor", "viewer", "stranger", "anonymous")
OWNER_DATA = ("ann@example.com", "owner-audience.csv", "Owner Calendar")
OTHER_DATA = ("eve@example.com", "other-audience.csv", "Other Calendar", "stranger@example.com")


@dataclass
class World:
    client: TestClient
    personas: dict[str, ConsolePersona]
    ids: dict[str, str]

    def audience(self, state: str) -> str:
        """A new audience of `owner` (made by its owner) at `state`: uploaded, matched or ready."""
        owner = self.personas["owner"]
        act_as(self.client, owner)
        path = audience_path(upload(self.client, owner, b"email\nann@example.com\n", name="owner-audience.csv"))
        if state in ("matched", "ready"):
            match(self.client, owner, path, 0, "email")
        if state == "ready":
            define(self.client, owner, path, event_id=f"event-{path[-8:]}")
        return path


@pytest.fixture
def world(client: TestClient, personas: dict[str, ConsolePersona], database: Database, other: Persona) -> World:
    ids = {
        "ann": subscribe(database, subscriber_id="ext-ann", email="ann@example.com").subscription.id,
        "gus": subscribe(database, subscriber_id="ext-gus", email="gus@example.com").subscription.id,
        "eve": subscribe(database, account_code="other", email="eve@example.com").subscription.id,
    }
    stranger = personas["stranger"]
    act_as(client, stranger)
    uploaded = client.post(
        "/console/other/audiences",
        data={"csrf_token": stranger.csrf_token},
        files={"file": ("other-audience.csv", b"eve@example.com\n", "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    ids["other_audience"] = str(uploaded.headers["location"]).replace("/console/other/", "/console/owner/")
    return World(client, personas, ids)


Request = Callable[[World, ConsolePersona], Any]


def get(path: Callable[[World], str]) -> Request:
    def run(world: World, persona: ConsolePersona) -> Any:
        target = path(world)  # made before the persona's cookie is set (it may upload as the owner)
        act_as(world.client, persona)
        return world.client.get(target, follow_redirects=False)

    return run


def post(path: Callable[[World], str], **data: str) -> Request:
    def run(world: World, persona: ConsolePersona) -> Any:
        target = path(world)  # made before the persona's cookie is set (it may upload as the owner)
        act_as(world.client, persona)
        form = {"csrf_token": persona.csrf_token, **data}
        return world.client.post(target, data=form, follow_redirects=False)

    return run


def upload_as(world: World, persona: ConsolePersona) -> Any:
    return upload(world.client, persona, b"ann@example.com\n", name="owner-audience.csv")


SUBSCRIBER = "/console/owner/subscribers/"
MATRIX: dict[str, tuple[Request, tuple[int, int, int, int, int]]] = {
    "audience list": (get(lambda w: "/console/owner/audiences"), (200, 200, 200, 404, 302)),
    "audience upload": (upload_as, (303, 303, 403, 404, 302)),
    "audience page": (get(lambda w: w.audience("uploaded")), (200, 200, 200, 404, 302)),
    "audience page, matched": (get(lambda w: w.audience("matched")), (200, 200, 200, 404, 302)),
    "another account's audience": (get(lambda w: w.ids["other_audience"]), (404, 404, 404, 404, 302)),
    "match": (
        post(lambda w: w.audience("uploaded") + "/match", column="0", id_kind="email", has_header="true"),
        (303, 303, 403, 404, 302),
    ),
    "match another account's audience": (
        post(lambda w: w.ids["other_audience"] + "/match", column="0", id_kind="email"),
        (404, 404, 403, 404, 302),
    ),
    "define the event": (post(lambda w: w.audience("matched") + "/event", **EVENT), (303, 303, 403, 404, 302)),
    "send": (post(lambda w: w.audience("ready") + "/send"), (303, 303, 403, 404, 302)),
    "subscriber list": (get(lambda w: "/console/owner/subscribers?status=active"), (200, 200, 200, 404, 302)),
    "subscriber csv": (get(lambda w: "/console/owner/subscribers.csv"), (200, 200, 200, 404, 302)),
    "subscriber record": (get(lambda w: SUBSCRIBER + w.ids["ann"]), (200, 200, 200, 404, 302)),
    "another account's subscriber": (get(lambda w: SUBSCRIBER + w.ids["eve"]), (404, 404, 404, 404, 302)),
    "a subscriber that does not exist": (get(lambda w: SUBSCRIBER + "no-such-id"), (404, 404, 404, 404, 302)),
    "deactivate": (post(lambda w: SUBSCRIBER + w.ids["ann"] + "/deactivate"), (303, 303, 403, 404, 302)),
    "deactivate another account's subscriber": (
        post(lambda w: SUBSCRIBER + w.ids["eve"] + "/deactivate"),
        (404, 404, 403, 404, 302),
    ),
    "gdpr export": (get(lambda w: SUBSCRIBER + w.ids["ann"] + "/export"), (200, 403, 403, 404, 302)),
    "gdpr export of another account's subscriber": (
        get(lambda w: SUBSCRIBER + w.ids["eve"] + "/export"),
        (404, 403, 403, 404, 302),
    ),
    "forget": (post(lambda w: SUBSCRIBER + w.ids["gus"] + "/forget", confirm="true"), (303, 403, 403, 404, 302)),
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_each_persona_gets_its_answer_and_only_its_own_data(world: World, name: str) -> None:
    request, expected_statuses = MATRIX[name]
    for persona_name, expected in zip(NAMES, expected_statuses, strict=True):
        persona = world.personas[persona_name]
        act_as(world.client, persona)
        response = request(world, persona)
        assert response.status_code == expected, (persona_name, name, response.text[:300])
        if expected == 302:
            assert response.headers["location"].startswith("/console/sign-in?next=")
        hidden = OTHER_DATA if persona_name in ("owner", "editor", "viewer") else OWNER_DATA
        for secret in hidden:
            assert secret not in response.text, (persona_name, name, secret)
        if response.status_code == 200 and "text/html" in response.headers["content-type"]:
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store"


def test_a_stranger_cannot_reach_the_owners_subscriber_through_their_own_account(world: World) -> None:
    act_as(world.client, world.personas["stranger"])
    response = world.client.get(f"/console/other/subscribers/{world.ids['ann']}")
    assert response.status_code == 404
    assert "ann@example.com" not in response.text
