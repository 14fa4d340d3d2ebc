"""Account and calendar codes: exactly the URL-safe form, nothing after it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from calcast.accounts import service as accounts
from calcast.accounts.models import Account
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.codes import check_code
from calcast.core.db import Database
from calcast.core.errors import Invalid


@pytest.mark.parametrize("code", ["brazetest\n", "brazetest\r\n", "\nbrazetest", "a-\n"])
def test_a_code_with_a_line_break_is_refused(code: str) -> None:
    with pytest.raises(Invalid, match="is not valid"):
        check_code(code, what="account")


def test_the_plain_code_is_still_accepted() -> None:
    assert check_code("brazetest", what="account") == "brazetest"
    assert check_code("team-1", what="calendar") == "team-1"


def test_no_account_or_calendar_is_stored_under_a_code_with_a_trailing_newline(database: Database) -> None:
    with pytest.raises(Invalid), database.transaction() as session:
        accounts.create_account(session=session, code="brand\n", name="Brand")
    with database.transaction() as session:
        accounts.create_account(session=session, code="brand", name="Brand")
    with pytest.raises(Invalid), database.transaction() as session:
        calendars.create_calendar(
            session=session,
            account_code="brand",
            code="main\n",
            settings=calendars.CalendarSettings(title="Main"),
            tags=(),
        )
    with database.sessions() as session:
        assert session.scalars(select(Account.code)).all() == ["brand"]
        assert session.scalar(select(func.count()).select_from(Calendar)) == 0
