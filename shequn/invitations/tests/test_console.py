from __future__ import annotations

import pytest
from django.urls import reverse

from shequn.invitations.models import InviteJoin, InviteLink
from shequn.invitations.services import create_invite_link
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.admission import admit_member
from shequn.members.tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _joined(link: InviteLink, n: int) -> None:
    for _ in range(n):
        admit_member(
            member=MemberFactory(organization=link.community.organization),
            community=link.community,
            source="self_signup",
            invite_link=link,
        )


def test_list_is_scoped_and_filtered(client_as, community, other_community) -> None:
    mine = InviteLinkFactory(community=community, purpose="poster A")
    InviteLinkFactory(community=other_community, purpose="poster B")
    off = InviteLinkFactory(
        community=community, purpose="poster C", disabled_at="2026-01-01T00:00Z"
    )
    response = client_as("chapter_head").get(reverse("invitations:list"))
    assert [link.pk for link in response.context["page"]] == [off.pk, mine.pk]
    response = client_as("org_admin").get(reverse("invitations:list"), {"status": "off"})
    assert [link.pk for link in response.context["page"]] == [off.pk]
    response = client_as("org_admin").get(
        reverse("invitations:list"), {"community": other_community.pk, "status": "active"}
    )
    assert [link.purpose for link in response.context["page"]] == ["poster B"]


def test_list_queries_do_not_grow(client_as, community, django_assert_num_queries) -> None:
    client = client_as("org_admin")
    for i in range(3):
        _joined(InviteLinkFactory(community=community, purpose=f"p{i}"), 1)
    client.get(reverse("invitations:list"))
    with django_assert_num_queries(5) as ctx:
        client.get(reverse("invitations:list"))
    for i in range(5):
        _joined(InviteLinkFactory(community=community, purpose=f"q{i}"), 2)
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(reverse("invitations:list"))
    assert {link.still_in_count for link in response.context["page"]} == {1, 2}


def test_create_my_own_link(client_as, chapter_head, community) -> None:
    response = client_as("chapter_head").post(
        reverse("invitations:create"),
        {"community": community.pk, "inviter_kind": "me", "purpose": "", "max_uses": "10"},
    )
    link = InviteLink.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:detail", kwargs={"link_id": link.pk})
    assert (link.inviter_operator_id, link.max_uses) == (chapter_head.pk, 10)


def test_create_for_a_member_by_name(client_as, member, community) -> None:
    client_as("assistant").post(
        reverse("invitations:create"),
        {"community": community.pk, "inviter_kind": "member", "member": "张三"},
    )
    assert InviteLink.objects.get().inviter_member_id == member.pk


def test_create_refuses_member_out_of_scope(client_as, other_member, community) -> None:
    response = client_as("chapter_head").post(
        reverse("invitations:create"),
        {"community": community.pk, "inviter_kind": "member", "member": str(other_member.pk)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["member"] == ["No member with this id."]
    assert InviteLink.objects.count() == 0


def test_create_refuses_community_out_of_scope(client_as, other_community) -> None:
    response = client_as("chapter_head").post(
        reverse("invitations:create"),
        {"community": other_community.pk, "inviter_kind": "purpose", "purpose": "x"},
    )
    assert response.status_code == 200
    assert "community" in response.context["form"].errors
    assert InviteLink.objects.count() == 0


def test_purpose_link_needs_a_purpose(client_as, community) -> None:
    response = client_as("org_admin").post(
        reverse("invitations:create"), {"community": community.pk, "inviter_kind": "purpose"}
    )
    assert response.context["form"].errors["purpose"] == [
        "Name the purpose of a link nobody hands out."
    ]
    assert InviteLink.objects.count() == 0


def test_edit_and_switch(client_as, community) -> None:
    link = InviteLinkFactory(community=community)
    client = client_as("chapter_head")
    url = reverse("invitations:edit", kwargs={"link_id": link.pk})
    response = client.post(url, {"purpose": "salon 3 May", "max_uses": "3", "expires_at": ""})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.purpose, link.max_uses) == ("salon 3 May", 3)
    client.post(reverse("invitations:disable", kwargs={"link_id": link.pk}))
    link.refresh_from_db()
    assert link.disabled_at is not None
    client.post(reverse("invitations:enable", kwargs={"link_id": link.pk}))
    link.refresh_from_db()
    assert link.disabled_at is None


def test_detail_and_downloads(client_as, community) -> None:
    link = InviteLinkFactory(community=community)
    _joined(link, 2)
    client = client_as("assistant")
    response = client.get(reverse("invitations:detail", kwargs={"link_id": link.pk}))
    assert response.status_code == 200
    assert f"http://testserver/c/i/{link.code}/" in response.content.decode()
    assert len(response.context["page"].object_list) == 2
    png = client.get(reverse("invitations:qr_png", kwargs={"link_id": link.pk}))
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    name = f"invite-{community.slug}-{link.code}"
    assert png["Content-Disposition"] == f'attachment; filename="{name}.png"'
    svg = client.get(reverse("invitations:qr_svg", kwargs={"link_id": link.pk}))
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == f'attachment; filename="{name}.svg"'
    assert b"<svg" in svg.content
    show = client.get(reverse("invitations:show", kwargs={"link_id": link.pk}))
    assert show.status_code == 200
    assert community.name in show.content.decode()


def test_png_encodes_the_landing_address(client_as, community) -> None:
    """Read the modules back from the downloaded PNG: they are the landing address's code."""
    import io

    import segno
    from PIL import Image

    link = InviteLinkFactory(community=community)
    png = client_as("org_admin").get(reverse("invitations:qr_png", kwargs={"link_id": link.pk}))
    image = Image.open(io.BytesIO(png.content)).convert("L")
    expected = segno.make(f"http://testserver/c/i/{link.code}/", error="m", micro=False)
    size = len(expected.matrix)
    assert image.size == ((size + 8) * 12, (size + 8) * 12)
    modules = tuple(
        bytearray(
            1 if _dark(image.getpixel(((x + 4) * 12 + 6, (y + 4) * 12 + 6))) else 0
            for x in range(size)
        )
        for y in range(size)
    )
    assert modules == tuple(bytearray(row) for row in expected.matrix)


def _dark(pixel: object) -> bool:
    assert isinstance(pixel, int)
    return pixel < 128


def test_inviters_and_invitees(client_as, org_admin, scope_of, community, member) -> None:
    member_link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    op_link = create_invite_link(
        actor=scope_of(org_admin), community=community, inviter_operator=True
    )
    _joined(member_link, 3)
    _joined(op_link, 1)
    client = client_as("chapter_head")
    page = client.get(reverse("invitations:inviters")).context["page"]
    assert [(r.kind, r.id, r.invitees, r.still_in) for r in page] == [
        ("member", member.pk, 3, 3),
        ("operator", org_admin.pk, 1, 1),
    ]
    assert (page.number, page.paginator.num_pages, page.has_next()) == (1, 1, False)
    response = client.get(reverse("invitations:member_invitees", kwargs={"member_id": member.pk}))
    assert len(response.context["page"].object_list) == 3
    response = client.get(
        reverse("invitations:operator_invitees", kwargs={"operator_id": org_admin.pk})
    )
    assert [j.member_id for j in response.context["page"]] == [
        InviteJoin.objects.get(link=op_link).member_id
    ]


def test_panels(client_as, community, member) -> None:
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    _joined(link, 1)
    newcomer = InviteJoin.objects.get().member
    client = client_as("org_admin")
    page = client.get(
        reverse("organizations:community_detail", kwargs={"community_id": community.pk})
    )
    assert reverse("invitations:detail", kwargs={"link_id": link.pk}) in page.content.decode()
    page = client.get(reverse("members:detail", kwargs={"member_id": newcomer.pk}))
    assert "张三" in page.content.decode()  # invited by


def test_inviter_pages_do_not_grow(client_as, community, member, django_assert_num_queries):
    client = client_as("org_admin")
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    _joined(link, 1)
    urls = [
        reverse("invitations:inviters"),
        reverse("invitations:member_invitees", kwargs={"member_id": member.pk}),
        reverse("invitations:detail", kwargs={"link_id": link.pk}),
    ]
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_num_queries(50, exact=False) as ctx:
            client.get(url)
        counts.append(len(ctx.captured_queries))
    for _ in range(3):
        other = MemberFactory(organization=community.organization)
        MembershipFactory(member=other, community=community)
        _joined(InviteLinkFactory(community=community, inviter_member=other, purpose=""), 2)
    _joined(link, 3)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            response = client.get(url)
        assert response.status_code == 200


def test_inviters_page_by_page(client_as, community, monkeypatch) -> None:
    from shequn.invitations import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    links = [InviteLinkFactory(community=community, purpose=f"poster {i}") for i in range(3)]
    for n, link in enumerate(links, start=1):
        link.inviter_member = MemberFactory(organization=community.organization)
        link.save(update_fields=["inviter_member"])
        _joined(link, n)
    client = client_as("org_admin")
    first = client.get(reverse("invitations:inviters")).context["page"]
    assert [r.invitees for r in first] == [3, 2]
    assert (first.paginator.num_pages, first.has_next()) == (2, True)
    second = client.get(reverse("invitations:inviters"), {"page": 2}).context["page"]
    assert [r.invitees for r in second] == [1]
    assert second.has_next() is False
