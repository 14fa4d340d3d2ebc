"""A usage mistake on any `calcast` command is one sentence on stderr, like every other error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from calcast.cli import app


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        # README once wrote `calcast export person … | forget …`, which reads as `calcast export forget`.
        (["export", "forget", "demo", "fan-1"], "Error: No such command 'forget'; see `calcast export --help`."),
        (["export", "person", "demo"], "Error: Missing argument 'who'; see `calcast export person --help`."),
        (["serve", "--port", "eighty"], "see `calcast serve --help`."),
        (["outbox", "retry"], "give a message id or --all-failed"),
    ],
)
def test_it_answers_a_usage_error_with_one_sentence(args: list[str], sentence: str) -> None:
    result = CliRunner().invoke(app, args, prog_name="calcast")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert sentence in lines[0]
    assert "╭" not in result.stderr


def test_help_still_prints_help() -> None:
    result = CliRunner().invoke(app, ["export", "--help"], prog_name="calcast")
    assert result.exit_code == 0
    assert "person" in result.stdout
