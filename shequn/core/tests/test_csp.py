"""Content-Security-Policy on every page, and templates that need no inline script or style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
# E-mails are not pages: their inline styles are what mail clients understand.
TEMPLATE_DIRS = [
    Path(settings.BASE_DIR) / "templates",
    *Path(settings.BASE_DIR).glob("shequn/*/templates"),
]
INLINE = re.compile(
    r"""\son[a-z]+\s*=|\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|javascript:""", re.I
)


def _policy(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in parts}


def _page_templates() -> list[Path]:
    return sorted(
        path
        for directory in TEMPLATE_DIRS
        for path in directory.rglob("*.html")
        if "email" not in path.parts
    )


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("anonymous", "/accounts/login/"),
        ("anonymous", "/c/login/"),
        ("org_admin", "/"),
        ("org_admin", "/communities/"),
        ("member", "/c/me/"),
        ("anonymous", "/c/pj/sh-salon/"),
        ("anonymous", "/admin/login/"),
    ],
)
def test_strict_policy_on_pages(client_as, community, persona, url) -> None:
    response = client_as(persona).get(url)
    assert response.status_code == 200
    assert _policy(response) == STRICT


def test_error_pages_carry_the_policy(client, db) -> None:
    response = client.get("/c/pj/no-such-community/")
    assert response.status_code == 404
    assert _policy(response) == STRICT


def test_api_docs_relax_styles_and_images_only(client, db) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert _policy(response) == {
        **STRICT,
        "style-src": {"'self'", "'unsafe-inline'"},
        "img-src": {"'self'", "data:"},
    }


@pytest.mark.parametrize(
    "path", _page_templates(), ids=lambda p: str(p.relative_to(settings.BASE_DIR))
)
def test_templates_have_no_inline_scripts_handlers_or_styles(path: Path) -> None:
    assert INLINE.findall(path.read_text(encoding="utf-8")) == []


def test_the_scan_finds_what_it_looks_for() -> None:
    samples = [
        '<button onclick="go()">',
        '<select onchange="this.form.submit()">',
        '<div style="background: red">',
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">',
    ]
    assert [bool(INLINE.search(sample)) for sample in samples] == [True] * len(samples)
    assert INLINE.search('<script src="/static/js/shequn.js" defer></script>') is None
    assert INLINE.search('<button data-confirm="Sure?">') is None


def test_htmx_runs_without_eval_or_inline_styles(client, db) -> None:
    html = client.get("/c/login/").content.decode()
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert found is not None
    config = json.loads(found.group(1))
    assert (config["allowEval"], config["includeIndicatorStyles"], config["allowScriptTags"]) == (
        False,
        False,
        False,
    )
    assert '<script src="/static/js/shequn.js" defer></script>' in html


def test_no_htmx_attribute_needs_eval() -> None:
    # hx-on:* handlers, js: values and [filter] expressions are evaluated by htmx with Function()
    needs_eval = re.compile(
        r"""hx-on[:-]|hx-vals=['"]js:|hx-vars=|hx-trigger="(?:[^"]*,\s*)?[\w:.-]+\["""
    )
    offenders = {
        str(path.relative_to(settings.BASE_DIR)): needs_eval.findall(path.read_text("utf-8"))
        for path in _page_templates()
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    assert needs_eval.search("hx-trigger=\"load, change[target.name=='kind']\"") is not None
