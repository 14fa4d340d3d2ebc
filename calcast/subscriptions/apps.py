"""The calendar apps a subscriber can choose, each with the link that subscribes it to a feed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from calcast.subscriptions.capture import operating_system

# Default order; the most likely app for the visitor's system moves to the front (see `app_order`).
APP_IDS = ("apple", "google", "outlook", "outlookcom", "m365", "android", "ics")

# The subscription method each choice records (rokt:subscription_method).
METHOD_OF = {
    "apple": "WebCal",
    "google": "Google",
    "outlook": "WebCal",
    "outlookcom": "Microsoft",
    "m365": "Microsoft",
    "android": "WebCal",
    "ics": "WebCal",
}

_FIRST_BY_SYSTEM = {
    "iOS": "apple",
    "iPadOS": "apple",
    "Mac OS X": "apple",
    "Android": "android",
    "Windows": "outlook",
}


@dataclass(frozen=True)
class AppLink:
    app: str
    href: str
    method: str
    # webcal:// links hand over to an installed app; the others are web pages in a new tab.
    opens_app: bool


def google_link(webcal: str) -> str:
    """Google Calendar's add-by-URL link (the `cid` takes the webcal form; an https value is refused)."""
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")


def outlook_web_link(host: str, https_url: str, name: str) -> str:
    """Outlook on the web's add-from-web link, on outlook.live.com (personal) or outlook.office.com (work)."""
    return f"https://{host}/calendar/0/addfromweb?url={quote(https_url, safe='')}&name={quote(name, safe='')}"


def app_links(*, https_url: str, webcal_url: str, name: str) -> dict[str, AppLink]:
    """Every app's subscribe link for one feed."""
    hrefs = {
        "apple": webcal_url,
        "google": google_link(webcal_url),
        "outlook": webcal_url,
        "outlookcom": outlook_web_link("outlook.live.com", https_url, name),
        "m365": outlook_web_link("outlook.office.com", https_url, name),
        "android": google_link(webcal_url),
        "ics": https_url + ".ics",
    }
    return {
        app: AppLink(app=app, href=hrefs[app], method=METHOD_OF[app], opens_app=hrefs[app].startswith("webcal:"))
        for app in APP_IDS
    }


def likely_app(user_agent: str | None) -> str | None:
    """The app most likely used on this device: Apple on iOS/macOS, Android, Outlook on Windows; None if unknown."""
    return _FIRST_BY_SYSTEM.get(operating_system(user_agent) or "")


def app_order(user_agent: str | None) -> list[str]:
    """The apps, the most likely one for this device first (Google when the device says nothing)."""
    first = likely_app(user_agent) or "google"
    return [first, *(app for app in APP_IDS if app != first)]
