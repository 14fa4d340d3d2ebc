"""`rowcount`: how many rows an UPDATE or DELETE matched, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from calcast.accounts.models import Account
from calcast.core.db import Database, rowcount


def test_it_counts_the_rows_an_update_or_a_delete_matched(database: Database) -> None:
    with database.transaction() as session:
        session.add_all([Account(code="one", name="One"), Account(code="two", name="Two")])
    with database.transaction() as session:
        renamed = session.execute(update(Account).values(name="Renamed"))
        removed = session.execute(delete(Account).where(Account.code == "one"))
        missed = session.execute(delete(Account).where(Account.code == "nobody"))
        assert (rowcount(renamed), rowcount(removed), rowcount(missed)) == (2, 1, 0)
    with database.transaction() as session:
        assert list(session.scalars(select(Account.name))) == ["Renamed"]


def test_it_refuses_a_query_result_which_has_no_row_count(database: Database) -> None:
    with database.transaction() as session, pytest.raises(TypeError, match="Only an UPDATE or DELETE result"):
        rowcount(session.execute(select(Account)))
