"""The questionnaire page: one form per axis, saved with htmx or a plain post."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convergence.assessments.models import Answer

from .conftest import FUTURE, LATER

pytestmark = pytest.mark.django_db


def url(assessment, name="questionnaire", *args):
    return reverse(f"assessments:{name}", args=[assessment.pk, *args])


def post_axis(client, assessment, code, data, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url(assessment, "answer_save", code), data, headers=headers)


def test_the_page_shows_only_applicable_axes_with_descriptors_and_expected_level(client, world):
    client.force_login(world.grades_user)
    response = client.get(url(world.service_assessment))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="axis-AX00"' in html and 'id="axis-AX01"' in html
    assert 'id="axis-AX02"' not in html  # applies to the product category only
    assert "AX00 niveau 3" in html  # the level's descriptor
    assert "0 of 2 applicable axes answered" in html
    assert 'name="version" value="1"' in html


def test_saving_an_axis_with_htmx_returns_the_fragment_and_the_new_version(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = post_axis(
        client,
        assessment,
        "AX00",
        {
            "version": 1,
            "level": "1",
            "milestone-0-level": "2",
            "milestone-0-due_on": FUTURE.isoformat(),
            "milestone-1-level": "3",
            "milestone-1-due_on": LATER.isoformat(),
            "blockers": ["visibilite"],
            "comment": "en cours",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="axis-AX00"')
    assert "<html" not in html
    assert 'hx-swap-oob="true"' in html and 'data-version="2"' in html
    assert "1 of 3 applicable axes answered" in html
    answer = Answer.objects.get(assessment=assessment, axis__code="AX00")
    assert answer.level == 1 and answer.comment == "en cours"
    assert [(m.level, m.due_on) for m in answer.milestones.order_by("due_on")] == [(2, FUTURE), (3, LATER)]
    assert [b.code for b in answer.blockers.all()] == ["visibilite"]
    assessment.refresh_from_db()
    assert assessment.version == 2


def test_saving_again_replaces_milestones_and_blockers(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    post_axis(
        client,
        assessment,
        "AX00",
        {
            "version": 1,
            "level": "1",
            "milestone-0-level": "2",
            "milestone-0-due_on": FUTURE.isoformat(),
            "blockers": ["visibilite"],
        },
    )
    post_axis(
        client,
        assessment,
        "AX00",
        {
            "version": 2,
            "level": "2",
            "milestone-0-level": "2",
            "milestone-0-due_on": FUTURE.isoformat(),
            "milestone-0-remove": "1",
            "blockers": ["calendrier-national"],
        },
    )
    answer = Answer.objects.get(assessment=assessment, axis__code="AX00")
    assert answer.level == 2
    assert answer.milestones.count() == 0
    assert [b.code for b in answer.blockers.all()] == ["calendrier-national"]


def test_a_plain_post_without_javascript_redirects_back_to_the_axis(client, world):
    client.force_login(world.vendor_user)
    response = post_axis(client, world.product_assessment, "AX01", {"version": 1, "level": "2"}, htmx=False)
    assert response.status_code == 302
    assert response["Location"].endswith(url(world.product_assessment) + "#axis-AX01")
    assert Answer.objects.get(assessment=world.product_assessment, axis__code="AX01").level == 2


def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_written(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = post_axis(
        client,
        assessment,
        "AX00",
        {"version": 1, "level": "2", "milestone-0-level": "1", "milestone-0-due_on": "2001-01-01"},
    )
    html = response.content.decode()
    assert 'id="ax-AX00-m0-level-error"' in html and "above the current level (2)" in html
    assert 'aria-describedby="ax-AX00-m0-due-error"' in html and "in the past" in html
    assert 'value="2001-01-01"' in html  # what was typed is kept
    assert not Answer.objects.filter(assessment=assessment).exists()
    assessment.refresh_from_db()
    assert assessment.version == 1
    # Without JavaScript: the whole page, with the same messages.
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "na"}, htmx=False)
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html and "give the reason why the axis does not apply" in html
    assert 'aria-describedby="ax-AX00-na-reason-error"' in html


def test_not_applicable_with_a_reason_counts_as_answered(client, world):
    client.force_login(world.vendor_user)
    post_axis(
        client,
        world.product_assessment,
        "AX02",
        {"version": 1, "level": "na", "not_applicable_reason": "pas de données patient"},
    )
    answer = Answer.objects.get(assessment=world.product_assessment, axis__code="AX02")
    assert answer.not_applicable and answer.level is None
    response = client.get(url(world.product_assessment))
    assert "1 of 3 applicable axes answered" in response.content.decode()


def test_a_stale_version_is_refused_with_a_reload_link_and_nothing_is_overwritten(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    post_axis(client, assessment, "AX00", {"version": 1, "level": "1"})
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "3"})
    html = response.content.decode()
    assert "changed by someone else" in html
    assert f'href="{url(assessment)}#axis-AX00"' in html
    assert Answer.objects.get(assessment=assessment, axis__code="AX00").level == 1
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "3"}, htmx=False)
    assert response.status_code == 302
    assert Answer.objects.get(assessment=assessment, axis__code="AX00").level == 1


def test_an_axis_that_does_not_apply_is_a_404(client, world):
    client.force_login(world.grades_user)
    response = post_axis(client, world.service_assessment, "AX02", {"version": 1, "level": "1"})
    assert response.status_code == 404


def test_submission_lists_the_missing_axes_then_the_page_is_read_only(client, world):
    client.force_login(world.grades_user)
    assessment = world.service_assessment
    post_axis(client, assessment, "AX00", {"version": 1, "level": "3"})
    response = client.post(url(assessment, "submit"), {"version": 2}, follow=True)
    assert "Not answered yet: AX01" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "draft"
    post_axis(
        client,
        assessment,
        "AX01",
        {"version": 2, "level": "2", "milestone-0-level": "3", "milestone-0-due_on": FUTURE.isoformat()},
    )
    response = client.post(url(assessment, "submit"), {"version": 3}, follow=True)
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.submitted_at is not None
    html = response.content.decode()
    assert "read-only" in html and "answer_save" not in html and 'name="level"' not in html
    # The service refuses too, whatever the page shows.
    response = post_axis(client, assessment, "AX00", {"version": assessment.version, "level": "0"})
    assert "can no longer be changed" in response.content.decode()
    assert Answer.objects.get(assessment=assessment, axis__code="AX00").level == 3


def test_the_questionnaire_uses_a_constant_number_of_queries(client):
    from .conftest import build_world

    small = build_world(axis_count=3)
    client.force_login(small.vendor_user)
    # Fill every axis, with milestones and blockers, so that per-row queries would show.
    for version, axis in enumerate(small.axes, start=1):
        post_axis(
            client,
            small.product_assessment,
            axis.code,
            {
                "version": version,
                "level": "1",
                "milestone-0-level": "2",
                "milestone-0-due_on": FUTURE.isoformat(),
                "blockers": ["visibilite"],
            },
        )
    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(url(small.product_assessment)).status_code == 200
    assert 0 < len(small_queries) <= 30
    big = build_world(axis_count=15, prefix="big-")
    client.force_login(big.vendor_user)
    for version, axis in enumerate(big.axes, start=1):
        post_axis(
            client,
            big.product_assessment,
            axis.code,
            {
                "version": version,
                "level": "1",
                "milestone-0-level": "2",
                "milestone-0-due_on": FUTURE.isoformat(),
                "blockers": ["visibilite"],
            },
        )
    with CaptureQueriesContext(connection) as big_queries:
        response = client.get(url(big.product_assessment))
    assert len(big_queries) == len(small_queries), [q["sql"] for q in big_queries.captured_queries]
    assert "15 of 15 applicable axes answered" in response.content.decode()
