from django.db import transaction
from shequn.organizations.demo import build_demo
from shequn.organizations.tests.test_load_demo import NOW
from shequn.members.models import Member, Identity, Membership
from django.db.models import Min

def rows():
    first = Member.objects.aggregate(first=Min("pk"))["first"]
    a = [(pk - first, *r) for pk, *r in Member.objects.order_by("pk").values_list("pk", "display_name", "phone", "email", "chapter__slug", "created_at")]
    b = sorted(Identity.objects.values_list("channel", "external_id", "member__display_name"))
    c = sorted(Membership.objects.values_list("member__display_name", "community__slug", "role", "status", "joined_at", "left_at"))
    return a, b, c

def test_dbg(db):
    res = []
    for _ in range(2):
        with transaction.atomic():
            build_demo(now=NOW, password="demo-password-1")
            res.append(rows())
            transaction.set_rollback(True)
    for x, y in zip(res[0], res[1]):
        diffs = [(i, p, q) for i, (p, q) in enumerate(zip(x, y)) if p != q]
        print(len(diffs), diffs[:3])
    assert 0
