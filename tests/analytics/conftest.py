"""The console's personas and its world of known numbers (tests/console/test_numbers.py), so the API's numbers
can be held against the dashboard's and `calcast stats`' for the same data."""

from __future__ import annotations

from tests.console.conftest import personas  # noqa: F401 - a fixture
from tests.console.test_numbers import world  # noqa: F401 - a fixture
