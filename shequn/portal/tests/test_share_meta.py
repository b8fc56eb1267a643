"""Public community pages carry share-card metadata and name the community and organisation."""

from __future__ import annotations

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shequn.organizations.services import update_community
from shequn.portal.tests.conftest import page_url


def _meta(html: str) -> dict[str, str]:
    """{"property:og:title": …, "name:description": …, "itemprop:image": …}"""
    found: dict[str, str] = {}
    for attrs, value in re.findall(r'<meta ((?:[a-z]+="[^"]+" )+)content="([^"]*)">', html):
        for attr, key in re.findall(r'([a-z]+)="([^"]+)"', attrs):
            found[f"{attr}:{key}"] = value
    return found


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("c.png", buffer.getvalue())


def test_share_card_without_images_uses_the_default(client, community):
    community.intro = "每周六下午\n  在静安区的沙龙。<b>欢迎</b>新朋友"
    community.save(update_fields=["intro"])
    html = client.get(page_url(community)).content.decode()
    meta = _meta(html)
    assert "<title>上海沙龙群 · 培训经理人俱乐部</title>" in html
    assert meta["property:og:title"] == "上海沙龙群 · 培训经理人俱乐部"
    assert meta["property:og:site_name"] == "培训经理人俱乐部"
    assert meta["property:og:type"] == "website"
    assert meta["property:og:url"] == "http://testserver/c/pj/sh-salon/"
    assert meta["name:description"] == "每周六下午 在静安区的沙龙。欢迎新朋友"
    assert meta["property:og:description"] == meta["name:description"]
    assert meta["itemprop:description"] == meta["name:description"]
    assert meta["property:og:image"] == "http://testserver/static/img/share-default.png"
    assert meta["itemprop:image"] == "http://testserver/static/img/share-default.png"
    assert meta["itemprop:name"] == "上海沙龙群 · 培训经理人俱乐部"
    assert '<link rel="canonical" href="http://testserver/c/pj/sh-salon/">' in html


def test_share_card_uses_cover_and_avatar(client, community, org_admin, scope_of):
    update_community(
        actor=scope_of(org_admin), community=community, data={"cover": _png(), "avatar": _png()}
    )
    community.refresh_from_db()
    meta = _meta(client.get(page_url(community)).content.decode())
    assert meta["property:og:image"] == f"http://testserver{community.cover.url}"
    assert meta["itemprop:image"] == f"http://testserver{community.avatar.url}"
    assert client.get(community.cover.url).status_code == 200


def test_description_falls_back_to_kind_and_organisation(client, community, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    community.intro = ""
    community.save(update_fields=["intro"])
    meta = _meta(client.get(page_url(community)).content.decode())
    assert meta["name:description"] == f"{community.get_kind_display()} · 培训经理人俱乐部"


def test_long_description_is_cut(client, community):
    community.intro = "群" * 300
    community.save(update_fields=["intro"])
    meta = _meta(client.get(page_url(community)).content.decode())
    assert meta["name:description"] == "群" * 119 + "…"


def test_intro_cannot_break_out_of_the_attribute(client, community):
    community.intro = '"><script>alert(1)</script>'
    community.save(update_fields=["intro"])
    html = client.get(page_url(community)).content.decode()
    assert "<script>alert(1)" not in html
    assert _meta(html)["name:description"] == "&quot;&gt;alert(1)"


def test_cover_is_an_image_not_an_inline_style(client, community, org_admin, scope_of):
    update_community(actor=scope_of(org_admin), community=community, data={"cover": _png()})
    community.refresh_from_db()
    html = client.get(page_url(community)).content.decode()
    assert f'<div class="m-cover"><img src="{community.cover.url}" alt=""></div>' in html
    assert "style=" not in html


def test_other_member_pages_of_a_community_carry_the_card(client_as, member, private_community):
    """The card is in member/base.html: the apply page (applications app) gets it as it is."""
    private_community.intro = 'Intro with "quotes" & <tags>'
    private_community.save(update_fields=["intro"])
    response = client_as("member").get(page_url(private_community, "apply"))
    assert response.status_code == 200
    html = response.content.decode()
    meta = _meta(html)
    assert meta["property:og:title"] == "上海铁粉群 · 培训经理人俱乐部"
    assert meta["name:description"] == "Intro with &quot;quotes&quot; &amp;"
    assert meta["property:og:url"] == "http://testserver/c/pj/sh-fans/apply/"
    assert meta["property:og:image"] == "http://testserver/static/img/share-default.png"
    assert "上海铁粉群" in html.split("<title>")[1].split("</title>")[0]


def test_pages_without_a_community_have_no_card(client_as, member):
    html = client_as("member").get("/c/me/").content.decode()
    assert "og:title" not in html
