"""The notification centre: who is told, on which channel, and the bell, list and preferences."""

import pytest
from django.core import mail
from django.urls import reverse

from convergence.assessments import campaigns, services
from convergence.assessments.validation import AnswerInput
from convergence.notifications.models import Notification, NotificationPreference
from convergence.notifications.services import notify, notify_event
from tests import factories as f
from tests.assessments.conftest import build_world


@pytest.fixture
def world(db):
    return build_world()


def _fill_and_submit(world, assessment, user):
    version = assessment.version
    for axis in world.axes:
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis=axis.code, level=2),
            expected_version=version,
            user=user,
        )
        version += 1
    return services.assessment_submit(assessment=assessment, expected_version=version, user=user)


def test_it_tells_every_member_of_the_organisation_but_not_the_actor(
    world, django_capture_on_commit_callbacks
):
    colleague = f.MembershipFactory(organisation=world.vendor, user=f.UserFactory(username="colleague")).user
    with django_capture_on_commit_callbacks(execute=True):
        created = notify_event(
            event="assessment_validated", about=world.product_assessment, actor=world.vendor_user
        )
    assert [n.recipient for n in created] == [colleague]
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert "Assessment validated" in mail.outbox[0].subject


def test_the_e_mail_waits_for_the_commit_and_vanishes_with_a_rollback(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(event="decision", title="Décision", organisations=[world.vendor])
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1 and mail.outbox[0].alternatives  # text and HTML


def test_preferences_choose_the_channels(world, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=world.vendor_user, event="decision", in_app=True, email=False)
    other = f.MembershipFactory(organisation=world.vendor, user=f.UserFactory(username="quiet")).user
    NotificationPreference.objects.create(user=other, event="decision", in_app=False, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notify(event="decision", title="Décision", organisations=[world.vendor])
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["vendor"]
    assert [m.to for m in mail.outbox] == [[other.email]]


def test_a_mail_server_down_does_not_undo_the_event(
    world, settings, caplog, django_capture_on_commit_callbacks
):
    # Nothing listens on the discard port: the SMTP connection is refused.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 5},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        notify(event="decision", title="Décision", organisations=[world.vendor])
    assert Notification.objects.count() == 1
    assert "notification e-mail to" in caplog.text


def test_the_assessment_workflow_notifies_the_agency_then_the_vendor(
    world, django_capture_on_commit_callbacks
):
    assessment = world.product_assessment
    with django_capture_on_commit_callbacks(execute=True):
        assessment = _fill_and_submit(world, assessment, world.vendor_user)
    submitted = Notification.objects.get(event="assessment_submitted")
    assert submitted.recipient == world.analyst  # the vendor who submitted is not told of it
    assert submitted.url == reverse("assessments:questionnaire", args=[assessment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assessment = services.assessment_return(
            assessment=assessment,
            reason="Preuve manquante",
            expected_version=assessment.version,
            user=world.analyst,
            organisation=world.agency,
        )
    returned = Notification.objects.get(event="assessment_returned")
    assert returned.recipient == world.vendor_user and returned.body == "Preuve manquante"
    with django_capture_on_commit_callbacks(execute=True):
        assessment = services.assessment_submit(
            assessment=assessment, expected_version=assessment.version, user=world.vendor_user
        )
        services.assessment_validate(
            assessment=assessment,
            expected_version=assessment.version,
            user=world.analyst,
            organisation=world.agency,
        )
    assert Notification.objects.get(event="assessment_validated").recipient == world.vendor_user
    assert {m.to[0] for m in mail.outbox} == {world.analyst.email, world.vendor_user.email}


def test_a_refused_transition_notifies_nobody(world, django_capture_on_commit_callbacks):
    with pytest.raises(services.SubmissionIncomplete), django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(
            assessment=world.product_assessment, expected_version=1, user=world.vendor_user
        )
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_closing_a_campaign_tells_the_organisations_with_an_assessment(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_close(campaign=world.campaign, user=world.analyst)
    told = set(
        Notification.objects.filter(event="campaign_closing").values_list("recipient__username", flat=True)
    )
    assert told == {"vendor", "othervendor", "grades"}


def test_the_bell_counts_the_unread_and_the_list_marks_them_read(client, world):
    for title in ("Un", "Deux"):
        notify(
            event="decision", title=title, url=reverse("notifications:preferences"), users=[world.vendor_user]
        )
    client.force_login(world.vendor_user)
    home = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notification-unread">2<' in home
    first = Notification.objects.get(title="Un")
    response = client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("notifications:preferences")
    first.refresh_from_db()
    assert first.is_read
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notification-unread">1<' in page
    client.post(reverse("notifications:read_all"))
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notification-unread"' not in page
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_another_persons_notification_is_not_found_and_stays_unread(client, world):
    (theirs,) = notify(event="decision", title="Privé", users=[world.other_user])
    client.force_login(world.vendor_user)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert "Privé" not in client.get(reverse("notifications:list")).content.decode()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_the_preferences_page_saves_the_channels(client, world):
    client.force_login(world.vendor_user)
    assert client.get(reverse("notifications:preferences")).status_code == 200
    client.post(reverse("notifications:preferences"), {"decision-in_app": "on"})
    decision = NotificationPreference.objects.get(user=world.vendor_user, event="decision")
    assert decision.in_app and not decision.email
    assert not NotificationPreference.objects.get(user=world.vendor_user, event="award_expiring").in_app


def test_the_list_costs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for i in range(20):
        notify(event="decision", title=f"N{i}", users=[world.vendor_user])
    client.force_login(world.vendor_user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("notifications:list")).status_code == 200
