"""Calendar client families from a User-Agent: who polls a feed (telemetry, lapse days), who reads the access log.

Client families come from the User-Agent by the small table below (general-purpose parsers do not know
calendar fetchers). Order matters: the first family with a matching fragment wins, so Thunderbird is tested
before anything that also says "Mozilla", and Google before the generic fragments.

| family      | User-Agent fragments (case-insensitive)                           | for example                       |
|-------------|-------------------------------------------------------------------|-----------------------------------|
| google      | Google-Calendar-Importer, Google-Calendar                         | Google-Calendar-Importer          |
| thunderbird | Thunderbird/                                                      | Mozilla/5.0 … Thunderbird/128.0   |
| evolution   | Evolution/                                                        | Evolution/3.46.4                  |
| apple       | CalendarAgent/, dataaccessd/, iCal/, Mac_OS_X/, Mac+OS+X/, macOS/ | iOS/17.4 (21E219) dataaccessd/1.0 |
| outlook     | Outlook, Exchange, Microsoft                                      | Microsoft Office/16.0 (… Outlook) |
| icsx5       | ICSx5                                                             | ICSx5/2.2                         |
| other       | anything else, or no User-Agent                                   | vdirsyncer/0.21.0                 |
"""

from __future__ import annotations

CLIENT_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("google", ("google-calendar-importer", "google-calendar")),
    ("thunderbird", ("thunderbird/",)),
    ("evolution", ("evolution/",)),
    ("apple", ("calendaragent/", "dataaccessd/", "ical/", "mac_os_x/", "mac+os+x/", "macos/")),
    ("outlook", ("outlook", "exchange", "microsoft")),
    ("icsx5", ("icsx5",)),
)
OTHER = "other"
FAMILIES = (*(family for family, _ in CLIENT_FAMILIES), OTHER)


def client_family(user_agent: str | None) -> str:
    """The calendar client family a User-Agent belongs to (see the table above)."""
    lowered = (user_agent or "").lower()
    for family, fragments in CLIENT_FAMILIES:
        if any(fragment in lowered for fragment in fragments):
            return family
    return OTHER
