"""403, 404, 400, CSRF failure and 500: styled pages in the visitor's language, both looks."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import translation

from shequn.core.errors import server_error

pytestmark = pytest.mark.urls("shequn.core.tests.error_urls")

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(**headers: str) -> Client:
    return Client(raise_request_exception=False, **headers)  # type: ignore[arg-type]


def _html(response) -> str:
    return response.content.decode()


# --- 404 ----------------------------------------------------------------------------------------


def test_member_404_in_chinese(db) -> None:
    response = _client(**ZH).get("/c/pj/no-such-community/")
    html = _html(response)
    assert response.status_code == 404
    assert "<title>页面不存在 · 社群运营平台</title>" in html
    assert '<section class="m-error" aria-labelledby="error-title">' in html
    assert '<p class="m-error-code">错误 404</p>' in html
    assert '<h1 id="error-title" class="m-title">页面不存在</h1>' in html
    assert 'href="/static/css/member.css"' in html
    assert '<a href="/c/me/">我的社群</a>' in html


def test_console_404_in_english(db) -> None:
    response = _client(**EN).get("/no/such/page/")
    html = _html(response)
    assert response.status_code == 404
    assert "<title>Page not found · shequn</title>" in html
    assert '<section class="card narrow error-page" aria-labelledby="error-title">' in html
    assert '<h1 id="error-title">Page not found</h1>' in html
    assert 'href="/static/css/console.css"' in html
    assert '<a class="button" href="/accounts/login/">Sign in</a>' in html


def test_console_404_signed_in_links_to_the_dashboard(client_as) -> None:
    client = client_as("org_admin")
    response = client.get("/communities/999999/", **EN)
    assert response.status_code == 404
    assert '<a class="button" href="/">Back to the dashboard</a>' in _html(response)


# --- 403 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "css"), [("/forbidden/", "console"), ("/c/forbidden/", "member")])
def test_403_is_styled_and_hides_the_reason(db, path, css) -> None:
    response = _client(**ZH).get(path)
    html = _html(response)
    assert response.status_code == 403
    assert "<title>无权操作 · 社群运营平台</title>" in html
    assert f'href="/static/css/{css}.css"' in html
    assert "internal reason" not in html


def test_403_of_a_real_console_page(client_as) -> None:
    response = client_as("member").get("/communities/", **EN)
    assert response.status_code == 403
    assert '<h1 id="error-title">Not allowed</h1>' in _html(response)


# --- 400 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "css"), [("/suspicious/", "console"), ("/c/suspicious/", "member")]
)
def test_400_is_styled(db, path, css) -> None:
    response = _client(**EN).get(path)
    html = _html(response)
    assert response.status_code == 400
    assert "<title>The request could not be understood · shequn</title>" in html
    assert f'href="/static/css/{css}.css"' in html
    assert "internal reason" not in html


# --- CSRF failure -------------------------------------------------------------------------------


def test_csrf_failure_on_member_sign_in_is_styled_in_chinese(db) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post("/c/login/", {"username": "a@example.com", "password": "x"})
    html = _html(response)
    assert response.status_code == 403
    assert "<title>表单已过期 · 社群运营平台</title>" in html
    assert '<h1 id="error-title" class="m-title">表单已过期</h1>' in html
    assert 'href="/static/css/member.css"' in html


def test_csrf_failure_on_console_sign_in_in_english(db) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"username": "admin", "password": "x"})
    assert response.status_code == 403
    assert '<h1 id="error-title">The form has expired</h1>' in _html(response)


# --- 500 ----------------------------------------------------------------------------------------


def test_500_member_look_in_chinese(db) -> None:
    response = _client(**ZH).get("/c/boom/")
    html = _html(response)
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in html
    assert "<title>出错了 · 社群运营平台</title>" in html
    assert '<p class="m-error-code">错误 500</p>' in html
    assert 'href="/static/css/member.css"' in html
    assert '<a href="/c/me/">返回首页</a>' in html
    assert "boom" not in html


def test_500_console_look_in_english(db) -> None:
    response = _client(**EN).get("/boom/")
    html = _html(response)
    assert response.status_code == 500
    assert '<h1 id="error-title">Something went wrong</h1>' in html
    assert '<a class="button" href="/">Back to the start page</a>' in html


def test_500_needs_no_database_and_no_request_context() -> None:
    # no `db` fixture: pytest-django fails any query; the handler gets a bare request
    request = RequestFactory().get("/c/pj/salon/")
    with translation.override("zh-hans"):
        response = server_error(request)
    assert response.status_code == 500
    assert '<h1 id="error-title" class="m-title">出错了</h1>' in response.content.decode()
    assert connection.queries_log == type(connection.queries_log)()


def test_500_without_a_static_manifest_still_renders(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent-static-root"
    with translation.override("en"):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "stylesheet" not in html
    assert "Something went wrong" in html


# --- Django's own messages in Chinese ----------------------------------------------------------


def test_every_password_rule_speaks_chinese() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        validate_password("1234")
    assert exc.value.messages == [
        "密码长度太短。密码必须包含至少 8 个字符。",
        "这个密码太常见了。",
        "密码只包含数字。",
    ]


def test_short_password_on_member_sign_up_in_chinese(client, community, settings) -> None:
    community.access = "open"
    community.save(update_fields=["access"])
    response = client.post(
        f"/c/{community.organization.slug}/{community.slug}/signup/",
        {"display_name": "李四", "email": "lisi@example.com", "password": "x7#q"},
        **ZH,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "密码长度太短。密码必须包含至少 8 个字符。"
    ]


def test_short_password_on_operator_password_form_in_chinese(client_as, org_admin, chapter_head):
    response = client_as("org_admin").post(
        f"/accounts/operators/{chapter_head.pk}/password/",
        {"password": "x7#q", "password_confirm": "x7#q"},
        **ZH,
    )
    assert response.status_code in (200, 422)
    errors = response.context["form"].errors
    assert "密码长度太短。密码必须包含至少 8 个字符。" in errors["password"]
    assert all("This password" not in message for message in errors["password"])


# --- the 429 page shares the layout -------------------------------------------------------------


MEMBER_CARD = '<section class="m-error" aria-labelledby="error-title">'
CONSOLE_CARD = '<section class="card narrow error-page" aria-labelledby="error-title">'


@pytest.mark.parametrize(
    ("base", "section"),
    [("member/base.html", MEMBER_CARD), ("console/base.html", CONSOLE_CARD)],
)
def test_429_page_uses_the_error_layout(rf, db, base, section) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get("/c/login/" if base.startswith("member") else "/accounts/login/")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        html = render_to_string(
            "429.html", {"base_template": base, "message": "请稍后再试。"}, request=request
        )
    assert section in html
    assert "错误 429" in html
    assert '<p role="alert">请稍后再试。</p>' in html
    assert "<title>尝试次数过多 · 社群运营平台</title>" in html
