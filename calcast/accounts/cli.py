from __future__ import annotations

import typer

from calcast.accounts import service
from calcast.accounts.models import Account, OAuthClient
from calcast.accounts.schemas import AccountOut, ClientCredentials, ClientOut
from calcast.core.cli import JsonOption, emit, unit_of_work
from calcast.core.security import Cipher

account_app = typer.Typer(help="Accounts: one per brand.", no_args_is_help=True)
client_app = typer.Typer(help="OAuth clients that Braze and other senders use.", no_args_is_help=True)


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        code=account.code,
        name=account.name,
        braze_rest_endpoint=account.braze_rest_endpoint,
        braze_configured=account.braze_api_key_encrypted is not None,
        link_key_configured=account.link_key_encrypted is not None,
        created_at=account.created_at,
    )


def client_out(client: OAuthClient, account_code: str) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        account_code=account_code,
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


@account_app.command("create")
def create_account(
    code: str, name: str = typer.Option(..., "--name", help="The brand's name."), as_json: bool = JsonOption
) -> None:
    """Create an account."""
    with unit_of_work() as (session, _):
        account = service.create_account(session=session, code=code, name=name)
        emit(account_out(account), as_json=as_json, human=f"Created account {account.code} ({account.name}).")


@account_app.command("list")
def list_accounts(as_json: bool = JsonOption) -> None:
    """List the accounts."""
    with unit_of_work() as (session, _):
        accounts = [account_out(account) for account in service.list_accounts(session=session)]
        lines = [f"{a.code}\t{a.name}\tbraze={'yes' if a.braze_configured else 'no'}" for a in accounts]
        emit(
            [a.model_dump(mode="json") for a in accounts],
            as_json=as_json,
            human="\n".join(lines) or "No accounts.",
        )


@account_app.command("set-braze")
def set_braze(
    code: str,
    rest_endpoint: str = typer.Option(..., "--rest-endpoint", help="e.g. https://rest.iad-01.braze.com"),
    api_key: str = typer.Option(..., "--api-key", help="A Braze REST API key with users.track permission."),
    as_json: bool = JsonOption,
) -> None:
    """Connect the account to its Braze workspace (the key is stored encrypted)."""
    with unit_of_work() as (session, settings):
        account = service.set_braze(
            session=session,
            cipher=Cipher(settings.secret_key),
            code=code,
            rest_endpoint=rest_endpoint,
            api_key=api_key,
            allow_private_destinations=settings.allow_private_destinations,
        )
        emit(
            account_out(account),
            as_json=as_json,
            human=f"Braze is set for {code}: {account.braze_rest_endpoint}.",
        )


@account_app.command("link-key")
def link_key(
    code: str,
    rotate: bool = typer.Option(False, "--rotate", help="Replace the key; links signed with the old one stop working."),
    as_json: bool = JsonOption,
) -> None:
    """Create the key that signs external ids in landing-page links; it is shown once."""
    with unit_of_work() as (session, settings):
        key = service.create_link_key(session=session, cipher=Cipher(settings.secret_key), code=code, rotate=rotate)
        emit(
            {"account_code": code, "link_key": key},
            as_json=as_json,
            human=(
                f"link key: {key}\n"
                "Store it now (e.g. in Braze's Liquid: {{${user_id} | hmac_sha256_hex: 'KEY'}}): calcast shows it "
                "only once.\n"
                f"Signed links: calcast calendar link {code} CALENDAR --external-id ID"
            ),
        )


@client_app.command("create")
def create_client(account: str, as_json: bool = JsonOption) -> None:
    """Create an OAuth client; the secret is shown once."""
    with unit_of_work() as (session, _):
        created = service.create_client(session=session, account_code=account)
        credentials = ClientCredentials(client_id=created.client.client_id, client_secret=created.client_secret)
        emit(
            credentials,
            as_json=as_json,
            human=(
                f"client_id:     {credentials.client_id}\nclient_secret: {credentials.client_secret}\n"
                "Store the secret now: calcast keeps only its digest and cannot show it again."
            ),
        )


@client_app.command("list")
def list_clients(account: str, as_json: bool = JsonOption) -> None:
    """List an account's OAuth clients."""
    with unit_of_work() as (session, _):
        clients = [client_out(c, account) for c in service.list_clients(session=session, account_code=account)]
        lines = [f"{c.client_id}\t{'revoked' if c.revoked_at else 'active'}\t{c.created_at:%Y-%m-%d}" for c in clients]
        emit(
            [c.model_dump(mode="json") for c in clients],
            as_json=as_json,
            human="\n".join(lines) or "No clients.",
        )


@client_app.command("revoke")
def revoke_client(client_id: str, as_json: bool = JsonOption) -> None:
    """Revoke a client and every token issued to it."""
    with unit_of_work() as (session, _):
        client = service.revoke_client(session=session, client_id=client_id)
        emit(
            {"client_id": client.client_id, "revoked_at": client.revoked_at},
            as_json=as_json,
            human=f"Revoked {client.client_id}.",
        )
