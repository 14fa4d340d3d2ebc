"""`calcast user …`: the people of the web console, for the first owner and for scripts."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer

from calcast.console import service
from calcast.core.cli import JsonOption, emit, fail, unit_of_work

user_app = typer.Typer(help="People who sign in to the web console, and their role per account.", no_args_is_help=True)


class RoleChoice(StrEnum):
    owner = "owner"
    editor = "editor"
    viewer = "viewer"


@user_app.command("create")
def create_user(
    email: str,
    account: str = typer.Option(..., "--account", help="The account the person gets access to."),
    role: RoleChoice = typer.Option(
        ..., "--role", help="owner: everything, people and secrets; editor: calendars, events, audiences; viewer: read."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input; otherwise print a link to set one."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Give a person a role in an account (created if new; an existing person's role there is changed)."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail("No password on standard input; pipe one in, e.g. `pass show calcast | calcast user create …`.")
    with unit_of_work() as (session, settings):
        member = service.add_member(
            session=session, email=email, account_code=account, role=role.value, password=password
        )
        link = None if password is not None else service.password_link(settings=settings, user=member.user)
        result = {"email": member.user.email, "account": account, "role": member.membership.role, "link": link}
        done = f"{member.user.email} is {member.membership.role} of {account}."
        if link is None:
            human = f"{done} Sign in at {settings.base_url}/console/sign-in"
        else:
            human = (
                f"{done}\nSend them this link to set their password (valid for {settings.console_link_hours} hours, "
                f"once):\n  {link}"
            )
        emit(result, as_json=as_json, human=human)


@user_app.command("list")
def list_users(account: str, as_json: bool = JsonOption) -> None:
    """The people of an account and their roles."""
    with unit_of_work() as (session, _):
        members = service.list_members(session=session, account_code=account)
        rows = [
            {
                "email": member.user.email,
                "role": member.membership.role,
                "password_set": member.user.password_hash is not None,
                "last_sign_in_at": member.user.last_sign_in_at.isoformat() if member.user.last_sign_in_at else None,
            }
            for member in members
        ]
        lines = [
            f"{row['email']}\t{row['role']}\t"
            + (f"last sign-in {row['last_sign_in_at']}" if row["last_sign_in_at"] else "never signed in")
            + ("" if row["password_set"] else " (no password yet)")
            for row in rows
        ]
        emit(rows, as_json=as_json, human="\n".join(lines) or f"Nobody has access to {account} yet.")


@user_app.command("remove")
def remove_user(
    email: str, account: str = typer.Option(..., "--account", help="The account to take the person out of.")
) -> None:
    """Take a person's access to an account away, at once (their open sessions lose it on the next request)."""
    with unit_of_work() as (session, _):
        service.remove_member(session=session, email=email, account_code=account)
        typer.echo(f"{email.strip()} no longer has access to {account}.")
