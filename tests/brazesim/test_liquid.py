"""Braze's Liquid dialect: references, nested output, missing attributes, abort_message and Braze's filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calcast.brazesim.liquid import AbortMessage, BrazeEnvironment, BrazeUser, TemplateError, load_users, to_liquid

FAN = BrazeUser.from_export(
    {
        "external_id": "ext-42",
        "first_name": "Ada",
        "email": "ada@example.com",
        "home_city": "Berlin",
        "custom_attributes": {
            "rokt:account_code": ["brazetest/f5733866ade2", "other/ff10919f1078"],
            "rokt:subscription_id": ["06423672-b6ba-4536-aa36-70788a7a0a36", "1f6c6a5e-9f0a-4c43-9d6c-0d9a1c0b2e11"],
            "favourite team": "Team I",
            "visits": 1234567,
            "profile": {"plan": "gold"},
        },
    }
)


def render(source: str, user: BrazeUser = FAN) -> str:
    return BrazeEnvironment().render_field(source, user)


def test_it_reads_standard_attributes_under_their_liquid_names() -> None:
    assert render("{{${user_id}}} {{${first_name}}} {{${email_address}}} {{${city}}}") == (
        "ext-42 Ada ada@example.com Berlin"
    )


def test_it_reads_custom_attributes_whose_names_have_colons_and_spaces() -> None:
    assert render("{{custom_attribute.${favourite team}}}") == "Team I"
    assert render("{{custom_attribute.${rokt:account_code}[0]}}") == "brazetest/f5733866ade2"
    assert render("{{custom_attribute.${rokt:account_code} | last}}") == "other/ff10919f1078"


def test_it_accepts_output_nested_in_tags_as_braze_does() -> None:
    source = "{% assign code = {{custom_attribute.${rokt:account_code}}}[0] | split: '/' | first %}{{code}}"
    assert render(source) == "brazetest"
    assert render("{% if {{${first_name}}} == 'Ada' %}hi{% endif %}") == "hi"


def test_it_joins_array_attributes_the_way_the_partner_template_does() -> None:
    source = """["{{custom_attribute.${rokt:subscription_id}| join: '","'  }}"]"""
    assert json.loads(render(source)) == [
        "06423672-b6ba-4536-aa36-70788a7a0a36",
        "1f6c6a5e-9f0a-4c43-9d6c-0d9a1c0b2e11",
    ]


def test_missing_and_null_attributes_render_empty_never_none() -> None:
    user = BrazeUser.from_export(
        {"external_id": None, "first_name": None, "custom_attributes": {"a": None, "ids": [None, "x"]}}
    )
    rendered = render(
        "[{{${user_id}}}|{{${first_name}}}|{{custom_attribute.${a}}}|{{custom_attribute.${a} | join: ','}}"
        "|{{custom_attribute.${nope} | join: ','}}|{{custom_attribute.${ids} | join: ','}}]",
        user,
    )
    assert rendered == "[|||||x]"
    assert "None" not in render("{{custom_attribute.${rokt:subscription_id} | join: ','}}", BrazeUser.from_export({}))


def test_abort_message_stops_the_message_with_its_reason() -> None:
    with pytest.raises(AbortMessage) as aborted:
        render("before{% if custom_attribute.${nope} == nil %}{% abort_message('no subscription') %}{% endif %}")
    assert aborted.value.reason == "no subscription"
    with pytest.raises(AbortMessage):
        render("{% abort_message() %}")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the examples of Braze's advanced-filters page
        ("{{'hey' | md5}}", "6057f13c496ecf7fd777ceb9e79ae285"),
        ("{{'hey' | sha1}}", "7f550a9f4c44173a37664d938f1355f0f92a47a7"),
        ("{{'hey' | sha2}}", "fa690b82061edfd2852629aeba8a8977b57e40fcb77d1a7a28b26cba62591204"),
        ("{{'blah' | base64_encode}}", "YmxhaA=="),
        ("{{'hey' | hmac_sha1_hex: 'secret_key'}}", "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"),
        ("{{'hey' | hmac_sha1_base64: 'secret_key'}}", "KjlpvtJb/u+wCspAY+uVkLTfjw4="),
        (
            "{{'hey' | hmac_sha256_hex: 'secret_key'}}",
            "8df897f8da3d7992fe57c8dbc6f27578cfbf2dcc4d0fbb4000b8c924841d508e",
        ),
        ("{{'hey' | hmac_sha256_base64: 'secret_key'}}", "jfiX+No9eZL+V8jbxvJ1eM+/LcxND7tAALjJJIQdUI4="),
        ("{{'hey<>hi' | url_escape}}", "hey%3C%3Ehi"),
        ("{{'hey<&>hi' | url_param_escape}}", "hey%3C%26%3Ehi"),
        ("{{ 'google search' | url_encode }}", "google+search"),
        ("{{custom_attribute.${visits} | number_with_delimiter}}", "1,234,567"),
        ("{{custom_attribute.${profile} | property_accessor: 'plan'}}", "gold"),
        ("""{% assign p = '{"a":[1,"b"]}' | json_parse %}{{p.a[1]}}""", "b"),
        ("{{custom_attribute.${profile} | as_json_string}}", '{"plan":"gold"}'),
    ],
)
def test_braze_filters_give_brazes_answers(source: str, expected: str) -> None:
    assert render(source) == expected


def test_hmac_sha512_signs_in_hex() -> None:
    assert len(render("{{'hey' | hmac_sha512: 'k'}}")) == 128


def test_json_escape_keeps_any_title_inside_a_json_string() -> None:
    title = 'Say "hi" \\ to C:\\Users\nnext line\ttab – ünïcode'
    user = BrazeUser.from_export({"custom_attributes": {"title": title}})
    body = render('{"title": "{{custom_attribute.${title} | json_escape}}"}', user)
    assert json.loads(body) == {"title": title}


def test_filters_braze_does_not_have_are_unknown() -> None:
    with pytest.raises(TemplateError, match="lstrip"):
        render("{{ '  x' | lstrip }}")


def test_html_comments_are_stripped_before_liquid_runs() -> None:
    assert render("a<!-- {{${user_id}}} -->b") == "ab"


def test_a_syntax_error_is_reported_as_a_sentence() -> None:
    with pytest.raises(TemplateError, match="could not be rendered"):
        render("{% if %}")


def test_the_prepass_leaves_connected_content_markup_for_its_own_rendering() -> None:
    rewritten = to_liquid("{% connected_content https://x/{{${user_id}}} :save r %}{% assign a = {{${user_id}}} %}")
    assert rewritten == (
        '{% connected_content https://x/{{braze["user_id"]}} :save r %}{% assign a = braze["user_id"] %}'
    )


def test_user_files_may_be_one_profile_an_array_or_json_lines(tmp_path: Path) -> None:
    one = tmp_path / "user.json"
    one.write_text('{"external_id": "a", "custom_attributes": {}}')
    lines = tmp_path / "users.jsonl"
    lines.write_text('{"external_id": "a"}\n\n{"external_id": "b"}\n')
    array = tmp_path / "users.json"
    array.write_text('[{"external_id": "a"}, {"external_id": "b"}]')
    assert [u.external_id for u in load_users(one)] == ["a"]
    assert [u.external_id for u in load_users(lines)] == ["a", "b"]
    assert [u.external_id for u in load_users(array)] == ["a", "b"]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"external_id": "a"}\n{"external_id": \n')
    with pytest.raises(TemplateError, match="line 2 is not JSON"):
        load_users(broken)
