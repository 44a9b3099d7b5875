"""Optimistic concurrency: two people editing the same assessment never overwrite each other.

Runs on SQLite and PostgreSQL (DATABASE_URL)."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from convergence.assessments import services
from convergence.assessments.models import Answer, Assessment
from convergence.assessments.validation import AnswerInput
from tests import factories as f

from .conftest import build_world


@pytest.mark.django_db
def test_two_clients_based_on_the_same_version_the_second_is_refused(world):
    colleague = f.MembershipFactory(organisation=world.vendor).user
    alice, bob = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")
    alice.force_login(world.vendor_user)
    bob.force_login(colleague)
    assessment = world.product_assessment
    page_url = reverse("assessments:questionnaire", args=[assessment.pk])
    # Both open the page: both forms carry version 1.
    assert 'name="version" value="1"' in alice.get(page_url).content.decode()
    assert 'name="version" value="1"' in bob.get(page_url).content.decode()
    save = reverse("assessments:answer_save", args=[assessment.pk, "AX00"])
    assert alice.post(save, {"version": 1, "level": "2"}, headers={"HX-Request": "true"}).status_code == 200
    response = bob.post(save, {"version": 1, "level": "0"}, headers={"HX-Request": "true"})
    assert "changed by someone else" in response.content.decode()
    assert Answer.objects.get(assessment=assessment).level == 2
    # Bob reloads, sees Alice's answer, and can then save.
    assert 'name="version" value="2"' in bob.get(page_url).content.decode()
    bob.post(save, {"version": 2, "level": "3"}, headers={"HX-Request": "true"})
    assert Answer.objects.get(assessment=assessment).level == 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_writes_from_two_threads_exactly_one_wins():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("in-memory SQLite is not shared between threads")
    world = build_world()
    assessment_id = world.product_assessment.pk
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(level: int) -> None:
        from django.db import connections

        try:
            assessment = Assessment.objects.select_related("campaign__referential", "subject").get(
                pk=assessment_id
            )
            barrier.wait(timeout=10)
            services.answer_save(
                assessment=assessment,
                answer=AnswerInput(axis="AX00", level=level),
                expected_version=1,
                user=None,
            )
            outcomes.append("saved")
        except services.AssessmentConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(level,)) for level in (1, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    assert Assessment.objects.get(pk=assessment_id).version == 2
    assert Answer.objects.filter(assessment_id=assessment_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_write_waiting_while_the_campaign_closes_is_refused_after_the_closing():
    """The closing locks the campaign's assessments first; a write that reached its assessment's
    row while the closing was not yet committed waits, then sees the closed campaign and is
    refused (its UPDATE's subquery still saw the campaign open)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    from django.db import connections, transaction

    from convergence.assessments import campaigns

    world = build_world()
    assessment_id = world.product_assessment.pk
    closed_uncommitted, release = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def close() -> None:
        try:
            with transaction.atomic():
                campaigns.campaign_close(campaign=world.campaign, user=None)
                closed_uncommitted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def write() -> None:
        try:
            assessment = Assessment.objects.select_related("campaign__referential", "subject").get(
                pk=assessment_id
            )
            services.answer_save(
                assessment=assessment,
                answer=AnswerInput(axis="AX00", level=2),
                expected_version=1,
                user=None,
            )
            outcomes.append("saved")
        except services.AssessmentReadOnly as refused:
            outcomes.append(refused.problems[0].field)
        finally:
            connections.close_all()

    closer = threading.Thread(target=close)
    closer.start()
    assert closed_uncommitted.wait(timeout=30)
    writer = threading.Thread(target=write)
    writer.start()
    # Wait on state: until the writer's UPDATE is blocked on the row the closing locked.
    with connection.cursor() as cursor:
        for _attempt in range(100_000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE%%assessments_assessment%%'"
            )
            if cursor.fetchone()[0]:
                break
        else:
            pytest.fail("the write never waited for the closing's lock")
    release.set()
    closer.join(timeout=30)
    writer.join(timeout=30)
    assert outcomes == ["campaign"]
    assessment = Assessment.objects.get(pk=assessment_id)
    assert (assessment.version, assessment.campaign.status) == (1, "closed")
    assert not Answer.objects.filter(assessment_id=assessment_id).exists()
