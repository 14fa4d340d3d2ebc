"""Signing in and out: the password check, the session cookie, the sign-in form's protections."""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.console import service
from calcast.console.models import ConsoleSession, ConsoleUser
from calcast.core.db import Database
from tests.conftest import Persona
from tests.console.conftest import PASSWORD, ConsolePersona, act_as


def add_person(database: Database, email: str = "ana@example.com", role: str = "owner") -> None:
    with database.transaction() as session:
        service.add_member(session=session, email=email, account_code="owner", role=role, password=PASSWORD)


def sign_in_form(client: TestClient, path: str = "/console/sign-in") -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200
    return {
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
        "next": re.search(r'name="next" value="([^"]*)"', page.text).group(1),  # type: ignore[union-attr]
    }


def sign_in(client: TestClient, email: str = "ana@example.com", password: str = PASSWORD, **extra: Any) -> Any:
    data = {**sign_in_form(client), "email": email, "password": password, **extra}
    return client.post("/console/sign-in", data=data, follow_redirects=False)


def sessions(database: Database) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ConsoleSession)) or 0)


def test_it_signs_in_with_the_right_password_and_sets_a_protected_cookie(
    client: TestClient, database: Database, owner: Persona
) -> None:
    add_person(database)
    response = sign_in(client, email=" Ana@Example.com ")
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("calcast_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # development serves plain http
    assert client.get("/console/owner").status_code == 200
    assert sessions(database) == 1


def test_outside_development_the_cookie_is_secure_and_host_only(
    app_with: Any, database: Database, owner: Persona
) -> None:
    add_person(database)
    client = app_with(environment="production", base_url="https://testserver")
    client.base_url = "https://testserver"
    cookie = sign_in(client).headers["set-cookie"]
    assert cookie.startswith("__Host-calcast_console=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Domain" not in cookie


def test_a_wrong_password_or_unknown_address_is_refused_with_one_sentence(
    client: TestClient, database: Database, owner: Persona
) -> None:
    add_person(database)
    for email, password in (("ana@example.com", "wrong password here"), ("nobody@example.com", PASSWORD)):
        response = sign_in(client, email=email, password=password)
        assert response.status_code == 401
        assert "The e-mail address or the password is wrong." in response.text
        assert "set-cookie" not in response.headers
    assert sessions(database) == 0


def test_a_person_without_a_password_cannot_sign_in(client: TestClient, database: Database, owner: Persona) -> None:
    with database.transaction() as session:
        service.add_member(session=session, email="new@example.com", account_code="owner", role="viewer")
    assert sign_in(client, email="new@example.com", password="").status_code == 401


def test_each_sign_in_gets_a_new_session_token(client: TestClient, database: Database, owner: Persona) -> None:
    add_person(database)
    client.cookies.set("calcast_console", "a-token-an-attacker-planted")
    cookie = sign_in(client).headers["set-cookie"]
    assert "a-token-an-attacker-planted" not in cookie
    again = sign_in(client).headers["set-cookie"]
    assert again != cookie
    assert sessions(database) == 2


def test_an_outdated_hash_is_replaced_at_sign_in(client: TestClient, database: Database, owner: Persona) -> None:
    add_person(database)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with database.transaction() as session:
        user = service.find_user(session=session, email="ana@example.com")
        assert user is not None
        user.password_hash = weak
    assert sign_in(client).status_code == 303
    with database.sessions() as session:
        stored = session.scalar(select(ConsoleUser.password_hash).where(ConsoleUser.email == "ana@example.com"))
    assert stored != weak
    assert stored is not None
    assert "m=65536,t=3,p=4" in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_the_sign_in_form_refuses_another_site_and_a_missing_token(
    client: TestClient, database: Database, owner: Persona
) -> None:
    add_person(database)
    form = {**sign_in_form(client), "email": "ana@example.com", "password": PASSWORD}
    foreign = client.post("/console/sign-in", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403
    assert "This form was sent from another website" in foreign.text
    tokenless = client.post("/console/sign-in", data={**form, "form_token": ""}, follow_redirects=False)
    assert tokenless.status_code == 400
    assert sessions(database) == 0


def test_it_returns_to_the_page_asked_for_but_never_to_another_site(
    client: TestClient, database: Database, owner: Persona
) -> None:
    add_person(database)
    asked = client.get("/console/owner/calendars", follow_redirects=False)
    assert asked.status_code == 302
    form = sign_in_form(client, asked.headers["location"])
    assert form["next"] == "/console/owner/calendars"
    for target in ("https://evil.example/", "//evil.example/console", "/\\evil.example", "/consolex/../../x"):
        response = sign_in(client, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/console"


def test_signing_out_ends_this_session_only(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = personas["owner"]
    with database.transaction() as session:
        user = service.find_user(session=session, email="owner@example.com")
        assert user is not None
        other_token, _ = service.start_session(session=session, user=user)
    act_as(client, owner)
    out = client.post("/console/sign-out", data={"csrf_token": owner.csrf_token}, follow_redirects=False)
    assert out.status_code == 303
    assert 'calcast_console=""' in out.headers["set-cookie"]
    act_as(client, owner)
    assert client.get("/console/owner", follow_redirects=False).status_code == 302
    client.cookies.set("calcast_console", other_token)
    assert client.get("/console/owner").status_code == 200


def test_signing_out_everywhere_ends_every_session_of_the_person(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = personas["owner"]
    with database.transaction() as session:
        user = service.find_user(session=session, email="owner@example.com")
        assert user is not None
        other_token, _ = service.start_session(session=session, user=user)
    act_as(client, owner)
    response = client.post(
        "/console/sign-out-everywhere", data={"csrf_token": owner.csrf_token}, follow_redirects=False
    )
    assert response.status_code == 303
    client.cookies.clear()
    client.cookies.set("calcast_console", other_token)
    assert client.get("/console/owner", follow_redirects=False).status_code == 302
    act_as(client, personas["editor"])  # another person's session is untouched
    assert client.get("/console/owner").status_code == 200
