"""`calcast demo` on a non-default port in a fresh folder: every command it prints runs, every URL it prints opens."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.calcast_process import CALCAST, clean_environment, free_port, running_calcast, wait_until_healthy

pytestmark = pytest.mark.slow

URL = re.compile(r"https?://[^\s'\"]+")


def printed_commands(text: str, calcast: str) -> list[str]:
    """The commands as a reader copies them: indented lines starting with curl or calcast, continuations joined."""
    commands: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if pending:
            pending += " " + stripped.removesuffix("\\").strip()
            if not stripped.endswith("\\"):
                commands.append(pending)
                pending = ""
            continue
        if line.startswith("    ") and stripped.startswith(("curl ", f"{calcast} ")):
            if stripped.endswith("\\"):
                pending = stripped.removesuffix("\\").strip()
            else:
                commands.append(stripped)
    assert not pending, pending
    return commands


def inline_commands(text: str, calcast: str) -> list[str]:
    """Commands quoted in a sentence (`…`) that start with calcast, or source its folder's activate script."""
    quoted = re.findall(r"`([^`]+)`", text)
    return [command for command in quoted if command.startswith((f"{calcast} ", ". "))]


def sign_in_as_printed(printed: str, base_url: str) -> httpx.Client:
    """Sign in to the console with the e-mail and password the demo printed, as a browser does."""
    email = re.findall(r"^\s+e-mail\s+(\S+)$", printed, re.M)[0]
    password = re.findall(r"^\s+password\s+(\S+)$", printed, re.M)[0]
    browser = httpx.Client(base_url=base_url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=10)
    form = browser.get("/console/sign-in").text
    token = re.findall(r'name="form_token" value="([^"]+)"', form)[0]
    data = {"form_token": token, "email": email, "password": password, "next": "/console/demo/integrations"}
    signed_in = browser.post("/console/sign-in", data=data)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/console/demo/integrations"
    return browser


def printed_urls(text: str, commands: list[str]) -> list[str]:
    """Addresses shown to a person to open (not the Liquid template's, which Braze renders, nor inside commands)."""
    command_lines = {part.strip() for command in commands for part in command.split(" \\")}
    urls = []
    for line in text.splitlines():
        stripped = line.strip()
        if "{%" in line or "{{" in line or stripped in command_lines or stripped.startswith(("curl ", "-", "--")):
            continue
        urls += [url.rstrip(".),") for url in URL.findall(line)]
    return urls


def test_everything_the_demo_prints_works_as_printed(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = clean_environment()
    with running_calcast([str(CALCAST), "demo", "--port", str(port)], cwd=tmp_path, env=environment) as demo:
        wait_until_healthy(base_url, demo)
        printed = "".join(line for line in demo.output if not line.startswith(("INFO:", "WARNING:")))
        calcast = str(CALCAST.resolve())  # not on PATH in a fresh shell, so the demo prints its full path
        commands = printed_commands(printed, calcast)
        assert len(commands) >= 9, printed
        assert any(" braze send new-event --user fan-1.json " in command for command in commands)
        for command in commands:
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=environment,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            assert '"Code":' not in done.stdout, f"{command}\n{done.stdout}"
        inline = inline_commands(printed, calcast)
        assert any(command.endswith(" braze templates") for command in inline), printed
        for command in inline:
            # `. …/activate`: after it, plain `calcast` works, as the demo says.
            script = f"{command} && calcast --help" if command.startswith(". ") else command
            done = subprocess.run(
                ["bash", "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
        browser = sign_in_as_printed(printed, base_url)
        try:
            integrations = browser.get("/console/demo/integrations")
            assert integrations.status_code == 200
            assert "Outbox" in integrations.text
        finally:
            browser.close()
        urls = printed_urls(printed, commands)
        assert f"{base_url}/" in urls
        assert any(
            re.fullmatch(rf"{re.escape(base_url)}/demo/season\?external_id=fan-1&sig=[0-9a-f]{{64}}", url)
            for url in urls
        )
        for url in urls:
            assert url.startswith(base_url), url
            assert httpx.get(url, timeout=10).status_code == 200, url
        feed_url = re.findall(r"curl -s (\S+/webcal/\S+)", printed)[0]
        feed = httpx.get(feed_url).text.replace("\r\n ", "")
        manage = re.findall(r"Manage or unsubscribe: (\S+)", feed)[0].replace("\\", "")
        app_choice = httpx.get(f"{manage}/add").text  # the confirmation page: one link per calendar app
    assert "SUMMARY:Hello from calcast" in feed  # the personal event pushed with curl
    assert "SUMMARY:Event Title" in feed  # the template sent with braze send
    assert manage.startswith(f"{base_url}/manage/")
    assert f"webcal://127.0.0.1:{port}/webcal/" in app_choice
    assert "127.0.0.1%3A" + str(port) in app_choice  # Google and Outlook links carry the feed URL encoded
    assert ":8000" not in app_choice
    assert "%3A8000" not in app_choice
