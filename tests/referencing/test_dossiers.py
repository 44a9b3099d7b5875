"""Dossiers from application to decision, and the refusals of the issue's "bad input" list:
each refused with a clear message (or 404), nothing changed."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from convergence.notifications.models import Notification
from convergence.referencing import services
from convergence.referencing.models import Award, CommissionOpinion, Dossier
from convergence.referencing.requirements import requirement_rows

from .conftest import TODAY


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)


def _apply(world):
    return services.dossier_create(
        actor=world.manager, programme=world.programme, subject=world.product_assessment.subject
    )


def _submitted(world, *, mes=False):
    dossier = _apply(world)
    services.dossier_update(
        actor=world.manager,
        dossier=dossier,
        answers={"mes": mes},
        explanations={},
        accept_charter=True,
    )
    return services.dossier_submit(actor=world.manager, dossier=dossier)


def _instructed(world):
    dossier = _submitted(world)
    agency = world.agency
    services.dossier_assign_referent(
        actor=world.analyst, organisation=agency, dossier=dossier, referent=world.analyst
    )
    services.dossier_start_instruction(actor=world.analyst, organisation=agency, dossier=dossier)
    for row in requirement_rows(dossier):
        if row.applies:
            services.finding_record(
                actor=world.analyst,
                organisation=agency,
                dossier=dossier,
                requirement=row.requirement,
                met=True,
            )
    return dossier


def _before_commission(world):
    dossier = _instructed(world)
    meeting = services.meeting_create(
        actor=world.analyst,
        organisation=world.agency,
        title="Commission de mars",
        held_on=TODAY,
        members=[world.commission_member],
    )
    services.dossier_to_commission(
        actor=world.analyst, organisation=world.agency, dossier=dossier, meeting=meeting
    )
    return dossier, meeting


def test_the_dossier_shows_each_requirement_met_or_not(world):
    dossier = _apply(world)
    rows = {row.requirement.code: row for row in requirement_rows(dossier)}
    assert rows["socle"].met
    assert rows["mes"].applies and [g.field for g in rows["mes"].gaps] == ["AX02"]  # unanswered: it applies
    assert [g.field for g in rows["charte"].gaps] == ["charter"]
    dossier.eligibility_answers = {"mes": False}
    rows = {row.requirement.code: row for row in requirement_rows(dossier)}
    assert not rows["mes"].applies


def test_a_dossier_goes_from_application_to_an_award(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier, meeting = _before_commission(world)
        opinion = services.opinion_record(
            actor=world.commission_member,
            organisation=world.agency,
            meeting=meeting,
            dossier=dossier,
            opinion="favourable",
        )
    dossier.refresh_from_db()
    award = Award.objects.get(dossier=dossier)
    assert dossier.status == "decided" and opinion.opinion == "favourable"
    assert (award.starts_on, award.ends_on) == (TODAY, datetime.date(2029, 3, 1))
    assert dossier.assessment == world.product_assessment
    events = set(Notification.objects.filter(recipient=world.manager).values_list("event", flat=True))
    assert {"dossier_instruction", "dossier_commission", "decision"} <= events
    assert any(world.manager.email in m.to and "Commission decision" in m.subject for m in mail.outbox)
    assert dossier.history.count() >= 5  # every transition is in the audit trail


def test_complements_stop_then_restart_the_clock(world):
    dossier = _instructed(world)
    with pytest.raises(ValidationError) as refused:
        services.complements_request(
            actor=world.analyst, organisation=world.agency, dossier=dossier, message=" ", due_on=TODAY
        )
    assert set(refused.value.message_dict) == {"message", "due_on"}
    due = TODAY + datetime.timedelta(days=15)
    services.complements_request(
        actor=world.analyst,
        organisation=world.agency,
        dossier=dossier,
        message="Joignez le PV de recette.",
        due_on=due,
    )
    dossier.refresh_from_db()
    assert (dossier.status, dossier.due_on) == ("complements", due)
    assert (
        Notification.objects.get(recipient=world.manager, event="complements_requested").body
        == "Joignez le PV de recette."
    )
    services.complements_answer(actor=world.manager, dossier=dossier, answer="PV joint.")
    dossier.refresh_from_db()
    assert dossier.status == "instruction" and dossier.due_on == TODAY + datetime.timedelta(days=30)
    assert Notification.objects.filter(recipient=world.analyst, event="complements_answered").exists()


def test_suspensive_reservations_must_be_lifted_before_their_due_date(world):
    dossier, meeting = _before_commission(world)
    with pytest.raises(ValidationError) as refused:
        services.opinion_record(
            actor=world.commission_member,
            organisation=world.agency,
            meeting=meeting,
            dossier=dossier,
            opinion="suspensive",
        )
    assert set(refused.value.message_dict) == {"reservations", "reservations_due_on"}
    due = TODAY + datetime.timedelta(days=60)
    services.opinion_record(
        actor=world.commission_member,
        organisation=world.agency,
        meeting=meeting,
        dossier=dossier,
        opinion="suspensive",
        reservations="Corriger l'export INS.",
        reservations_due_on=due,
    )
    award = Award.objects.get(dossier=dossier)
    assert award.state(TODAY) == "valid_reservations"
    assert award.state(due + datetime.timedelta(days=1)) == "lapsed"
    services.reservations_lift(actor=world.analyst, organisation=world.agency, award=award)
    award.refresh_from_db()
    assert award.state(due + datetime.timedelta(days=1)) == "valid"


# --- The bad input ---------------------------------------------------------------------------


def test_applying_twice_for_the_same_product_and_programme_is_refused(world):
    _apply(world)
    with pytest.raises(ValidationError) as refused:
        _apply(world)
    assert "already applied" in refused.value.message_dict["subject"][0]
    assert Dossier.objects.count() == 1


def test_applying_after_the_closing_date_is_refused(world, time_machine):
    time_machine.move_to(datetime.datetime(2026, 7, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    with pytest.raises(ValidationError) as refused:
        _apply(world)
    assert "Applications closed on" in refused.value.message_dict["programme"][0]
    assert Dossier.objects.count() == 0


def test_an_unmet_requirement_without_explanation_blocks_the_submission(world):
    dossier = _apply(world)
    services.dossier_update(
        actor=world.manager, dossier=dossier, answers={"mes": True}, explanations={}, accept_charter=True
    )
    with pytest.raises(ValidationError) as refused:
        services.dossier_submit(actor=world.manager, dossier=dossier)
    assert list(refused.value.message_dict) == ["explanation-mes"]
    assert "AX02: level 1, at least 3 required." in refused.value.message_dict["explanation-mes"][0]
    dossier.refresh_from_db()
    assert dossier.status == "draft" and dossier.submitted_at is None
    services.dossier_update(
        actor=world.manager,
        dossier=dossier,
        answers={"mes": True},
        explanations={"mes": "Prévu en v5."},
        accept_charter=True,
    )
    assert services.dossier_submit(actor=world.manager, dossier=dossier).status == "submitted"


def test_a_decision_by_a_non_member_of_the_commission_is_refused(world):
    dossier, meeting = _before_commission(world)
    with pytest.raises(PermissionDenied):
        services.opinion_record(
            actor=world.analyst,
            organisation=world.agency,
            meeting=meeting,
            dossier=dossier,
            opinion="favourable",
        )
    dossier.refresh_from_db()
    assert (
        dossier.status == "commission"
        and not CommissionOpinion.objects.exists()
        and not Award.objects.exists()
    )


def test_a_second_opinion_on_the_same_dossier_is_refused(world):
    dossier, meeting = _before_commission(world)
    services.opinion_record(
        actor=world.commission_member,
        organisation=world.agency,
        meeting=meeting,
        dossier=dossier,
        opinion="unfavourable",
    )
    with pytest.raises(ValidationError):
        services.opinion_record(
            actor=world.commission_member,
            organisation=world.agency,
            meeting=meeting,
            dossier=dossier,
            opinion="favourable",
        )
    assert CommissionOpinion.objects.get().opinion == "unfavourable" and not Award.objects.exists()


def test_a_vendor_reading_another_vendors_dossier_gets_404(client, world):
    dossier = _submitted(world)
    client.force_login(world.other_manager)
    for name in ("referencing:dossier", "referencing:dossier_edit"):
        assert client.get(reverse(name, args=[dossier.pk])).status_code == 404
    before = Dossier.objects.values().get(pk=dossier.pk)
    assert (
        client.post(reverse("referencing:complements_answer", args=[dossier.pk]), {"answer": "x"}).status_code
        == 404
    )
    assert Dossier.objects.values().get(pk=dossier.pk) == before


def test_an_employee_may_read_but_not_apply_or_submit(client, world):
    dossier = _apply(world)
    with pytest.raises(PermissionDenied):
        services.dossier_submit(actor=world.vendor_user, dossier=dossier)
    client.force_login(world.vendor_user)
    assert client.get(reverse("referencing:dossier", args=[dossier.pk])).status_code == 200
    assert (
        client.post(
            reverse("referencing:apply", args=[world.programme.pk]), {"subject": dossier.subject_id}
        ).status_code
        == 403
    )


def test_the_pages_take_the_dossier_to_the_commission(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("referencing:apply", args=[world.programme.pk]),
        {"subject": world.product_assessment.subject_id},
    )
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("referencing:dossier", args=[dossier.pk])
    refused = client.post(
        reverse("referencing:dossier_edit", args=[dossier.pk]),
        {"answer-mes": "yes", "accept_charter": "on", "submit": "1"},
    )
    assert refused.status_code == 422 and 'id="explanation-mes-error"' in refused.content.decode()
    client.post(
        reverse("referencing:dossier_edit", args=[dossier.pk]),
        {"answer-mes": "no", "accept_charter": "on", "submit": "1"},
    )
    dossier.refresh_from_db()
    assert dossier.status == "submitted"

    client.force_login(world.analyst)
    queue = client.get(reverse("referencing:dossiers")).content.decode()
    assert world.product_assessment.subject.name in queue
    client.post(reverse("referencing:dossier_referent", args=[dossier.pk]), {"referent": world.analyst.pk})
    client.post(reverse("referencing:dossier_instruct", args=[dossier.pk]))
    for row in requirement_rows(dossier):
        if row.applies:
            client.post(
                reverse("referencing:dossier_finding", args=[dossier.pk]),
                {"requirement": row.requirement.pk, "met": "yes"},
            )
    client.post(
        reverse("referencing:meetings"),
        {"title": "Commission", "held_on": "2026-03-10", "members": [world.analyst.pk]},
    )
    meeting = world.analyst.commission_meetings.get()
    client.post(reverse("referencing:dossier_commission", args=[dossier.pk]), {"meeting": meeting.pk})
    client.post(
        reverse("referencing:opinion", args=[meeting.pk, dossier.pk]),
        {"opinion": "reservations", "reservations": "Documenter l'API."},
    )
    dossier.refresh_from_db()
    assert dossier.status == "decided" and dossier.opinion.opinion == "reservations"
    page = client.get(reverse("referencing:dossier", args=[dossier.pk])).content.decode()
    assert (
        "Documenter l&#x27;API." in page
        and reverse("referencing:attestation", args=[dossier.award.verification_code]) in page
    )
