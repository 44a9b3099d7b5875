"""The review page: changes since the previous campaign in words (drops and rises), details per
axis, localised dates and labels; the thread of each axis between the reviewer and the
declarant (who answers it from the questionnaire)."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from convergence.assessments import selectors, services
from convergence.assessments.models import AxisComment, Milestone
from convergence.assessments.rules import ActingOn
from convergence.organisations.models import AuditEntry
from convergence.organisations.tenancy import SESSION_KEY
from tests import factories as f

from .review_helpers import fill_and_submit, previous_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(world):
    """The product was at AX00=2, AX01=1, AX02=2 last campaign; now AX00=1, AX01=2, AX02=2."""
    previous_campaign(world, {"AX00": 2, "AX01": 1, "AX02": 2})
    return fill_and_submit(
        world, world.product_assessment, {"AX00": 1, "AX01": 2, "AX02": 2}, world.vendor_user
    )


def axis_block(html: str, code: str) -> str:
    start = html.rindex("<details", 0, html.index(f'id="axis-{code}"'))
    return html[start : html.index("</details>", start)]


# --- Changes since the previous campaign --------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "kind", "text"),
    [
        ((2, False), (1, False), "down", "down from 2 to 1"),
        ((1, False), (3, False), "up", "up from 1 to 3"),
        ((2, False), (2, False), "same", "unchanged"),
        ((None, False), (2, False), "new", "new answer"),
        ((2, False), (None, True), "changed", "now not applicable (was 2)"),
    ],
)
def test_level_change_says_in_words_how_an_axis_moved(before, now, kind, text):
    change = selectors.level_change(
        previous_level=before[0],
        previous_not_applicable=before[1],
        level=now[0],
        not_applicable=now[1],
        has_previous=True,
    )
    assert (change.kind, change.text) == (kind, text)


def test_without_a_previous_campaign_there_is_no_change_to_show():
    change = selectors.level_change(
        previous_level=None, previous_not_applicable=False, level=2, not_applicable=False, has_previous=False
    )
    assert change.kind == "" and change.text == ""


def test_a_drop_is_highlighted_in_red_with_text_and_a_rise_too(client, world, reviewed):
    # In English here: the French wording ("en baisse de 2 à 1") comes with the merged catalogue.
    client.force_login(world.analyst)
    html = client.get(
        reverse("assessments:review", args=[reviewed.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    drop = axis_block(html, "AX00")
    assert "review-axis--down" in drop and "review-change--down" in drop
    assert "down from 2 to 1" in drop
    rise = axis_block(html, "AX01")
    assert "review-change--up" in rise and "up from 1 to 2" in rise
    same = axis_block(html, "AX02")
    assert "review-change--" not in same and "unchanged" in same
    summary = html[html.index('id="review-changes"') :][:800]
    assert "1 axis down" in summary and "1 axis up" in summary


def test_details_are_per_axis_with_localised_dates_and_labels(client, world, reviewed):
    answer = reviewed.answers.get(axis__code="AX00")
    Milestone.objects.create(answer=answer, level=3, due_on=datetime.date(2027, 6, 30))
    client.force_login(world.analyst)
    html = client.get(
        reverse("assessments:review", args=[reviewed.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "<table" not in html[html.index('class="review-axes"') :]  # no wide table: details on demand
    assert html.count("<details") == 3
    block = axis_block(html, "AX00")
    assert "30/06/2027" in block and "2027-06-30" not in block
    assert "Catégorie dpi" in html and "<code>dpi</code>" not in html


def test_the_review_page_has_a_fixed_number_of_queries(
    client, world, reviewed, django_assert_max_num_queries
):
    client.force_login(world.analyst)
    for code in ("AX00", "AX01"):
        services.axis_comment_add(
            assessment=reviewed,
            axis_code=code,
            body="Pourquoi ?",
            user=world.analyst,
            organisation=world.agency,
        )
    with django_assert_max_num_queries(40):
        assert client.get(reverse("assessments:review", args=[reviewed.pk])).status_code == 200


# --- Threads per axis ---------------------------------------------------------------------------------


def test_the_reviewer_asks_on_an_axis_and_the_declarant_answers_it(client, world, reviewed):
    client.force_login(world.analyst)
    url = reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX00"])
    response = client.post(url, {"body": "Pourquoi la baisse sur AX00 ?"})
    assert response.status_code == 302 and response["Location"].endswith("#thread-AX00")
    client.force_login(world.vendor_user)
    response = client.post(
        url,
        {"body": "Changement d'hébergeur.", "next": reverse("assessments:questionnaire", args=[reviewed.pk])},
    )
    assert response["Location"] == reverse("assessments:questionnaire", args=[reviewed.pk]) + "#thread-AX00"
    thread = list(AxisComment.objects.filter(assessment=reviewed).order_by("pk"))
    assert [(c.side, c.author, c.author_organisation) for c in thread] == [
        ("reviewer", world.analyst, world.agency),
        ("declarant", world.vendor_user, world.vendor),
    ]
    entries = AuditEntry.objects.filter(object_type="assessments.axiscomment")
    assert entries.count() == 2
    assert set(entries.values_list("owner_organisation_id", flat=True)) == {world.vendor.pk}
    client.force_login(world.analyst)
    html = client.get(reverse("assessments:review", args=[reviewed.pk])).content.decode()
    block = axis_block(html, "AX00")
    assert "Pourquoi la baisse" in block and "Changement d&#x27;hébergeur." in block


def test_the_declarant_sees_the_thread_on_the_questionnaire_include(
    world, reviewed, django_assert_max_num_queries
):
    services.axis_comment_add(
        assessment=reviewed,
        axis_code="AX01",
        body="Preuve de la hausse ?",
        user=world.analyst,
        organisation=world.agency,
    )
    request = RequestFactory().get(reverse("assessments:questionnaire", args=[reviewed.pk]))
    request.user = world.vendor_user
    request.session = {}
    # One query for every thread of the page, whatever the number of axes included.
    with django_assert_max_num_queries(4):
        html = "".join(
            render_to_string(
                "assessments/_axis_comments.html",
                {"assessment": reviewed, "axis_code": code, "request": request},
                request=request,
            )
            for code in ("AX00", "AX01", "AX02")
        )
    assert "Preuve de la hausse ?" in html
    assert html.count('name="body"') == 3  # the declarant may answer on each axis
    assert f'action="{reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX01"])}"' in html


def test_a_blank_message_is_refused_beside_the_field_and_nothing_is_written(client, world, reviewed):
    client.force_login(world.vendor_user)
    url = reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX00"])
    response = client.post(url, {"body": "   "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'id="thread-AX00-body-error"' in html
    htmx = client.post(url, {"body": ""}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 422 and "<html" not in htmx.content.decode()
    assert not AxisComment.objects.exists()


def test_an_htmx_message_answers_the_thread_fragment(client, world, reviewed):
    client.force_login(world.vendor_user)
    url = reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX02"])
    response = client.post(url, {"body": "Voir la preuve jointe."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="review-thread') and "Voir la preuve jointe." in html


def test_another_organisation_gets_a_404_and_nothing_is_written(client, world, reviewed):
    url = reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX00"])
    client.force_login(world.other_user)
    assert client.post(url, {"body": "Intrus"}).status_code == 404
    # A region body reads nothing of a vendor's product either; and an axis that does not apply is a 404.
    client.force_login(world.grades_user)
    assert client.post(url, {"body": "Intrus"}).status_code == 404
    client.force_login(world.vendor_user)
    assert (
        client.post(
            reverse("assessments:axis_comment_add", args=[reviewed.pk, "NOPE"]), {"body": "x"}
        ).status_code
        == 404
    )
    assert not AxisComment.objects.exists()


def test_a_declarant_comments_only_while_acting_for_the_assessments_organisation(world, reviewed):
    assert world.vendor_user.has_perm("assessments.comment_axis", ActingOn(world.vendor, reviewed))
    assert not world.other_user.has_perm("assessments.comment_axis", ActingOn(world.other_vendor, reviewed))
    assert world.analyst.has_perm("assessments.comment_axis", ActingOn(world.agency, reviewed))
    # An analyst who is also a member of another vendor, acting for it: no.
    f.MembershipFactory(organisation=world.other_vendor, user=world.analyst, role="salarie")
    assert not world.analyst.has_perm("assessments.comment_axis", ActingOn(world.other_vendor, reviewed))


def test_an_analyst_acting_for_a_vendor_writes_as_nobody_of_the_agency(client, world, reviewed):
    f.MembershipFactory(organisation=world.other_vendor, user=world.analyst, role="salarie")
    client.force_login(world.analyst)
    session = client.session
    session[SESSION_KEY] = world.other_vendor.pk
    session.save()
    response = client.post(reverse("assessments:axis_comment_add", args=[reviewed.pk, "AX00"]), {"body": "x"})
    assert response.status_code == 404
    assert not AxisComment.objects.exists()
