"""Dates at the ends of the calendar in the audit filters (review of issue 5, item 15).

9999-12-31 as the end date or 0001-01-01 as the start date used to overflow while being turned
into a UTC time span: a 500 page. They are now refused like any bad filter: the message shows,
the filter is left out, the entries are listed.
"""

from __future__ import annotations

import pytest

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        (
            "date_to=9999-12-31",
            "date_to",
            "Ensure this value is less than or equal to 9998-12-31.",
        ),
        (
            "date_from=0001-01-01",
            "date_from",
            "Ensure this value is greater than or equal to 1900-01-01.",
        ),
    ],
)
def test_out_of_range_dates_are_refused_not_a_500(
    client_as, scope_of, org_admin, member, query, field, error
):
    record_audit(
        actor=scope_of(org_admin),
        action=AuditAction.UPDATE,
        target=member,
        changes={"display_name": ["张", "张三"]},
        chapter_id=member.chapter_id,
    )
    response = client_as("org_admin").get(f"/audit/?{query}")
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [error]}
    assert [row.entry.object_id for row in response.context["rows"]] == [str(member.pk)]


def test_the_last_and_first_accepted_days_work(client_as):
    response = client_as("org_admin").get("/audit/?date_from=1900-01-01&date_to=9998-12-31")
    assert response.status_code == 200
    assert response.context["form"].errors == {}


def test_the_date_pickers_offer_only_accepted_days(client_as):
    html = client_as("org_admin").get("/audit/").content.decode()
    for name in ("date_from", "date_to"):
        assert (
            f'<input type="date" name="{name}" min="1900-01-01" max="9998-12-31" id="id_{name}">'
            in html
        )
