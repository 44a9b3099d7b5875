"""Deadline reminders: one mail per organisation with unfinished assessments, once per day."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from convergence.assessments.models import CampaignReminder
from convergence.assessments.tasks import campaign_reminder_send, campaign_reminders_enqueue
from tests import factories as f

CLOSES = datetime.date(2025, 12, 15)


@pytest.fixture
def campaign(db):
    campaign = f.CampaignFactory(code="2025-s2", title="Campagne 2025 S2", status="open", closes_on=CLOSES)
    acme = f.OrganisationFactory(code="acme", name="ACME")
    f.MembershipFactory(organisation=acme, user__email="alice@acme.test")
    f.MembershipFactory(organisation=acme, user__email="bob@acme.test")
    globex = f.OrganisationFactory(code="globex", name="Globex")
    f.MembershipFactory(organisation=globex, user__email="carol@globex.test")
    done = f.OrganisationFactory(code="done", name="Done Corp")
    f.MembershipFactory(organisation=done, user__email="dan@done.test")
    f.AssessmentFactory(
        campaign=campaign, subject__organisation=acme, subject__name="ACME DPI", status="draft"
    )
    f.AssessmentFactory(
        campaign=campaign, subject__organisation=acme, subject__name="ACME LGC", status="returned"
    )
    f.AssessmentFactory(
        campaign=campaign, subject__organisation=acme, subject__name="ACME RIS", status="submitted"
    )
    f.AssessmentFactory(
        campaign=campaign, subject__organisation=globex, subject__name="Globex App", status="draft"
    )
    f.AssessmentFactory(
        campaign=campaign, subject__organisation=done, subject__name="Done", status="validated"
    )
    return campaign


def test_mail_outbox_collects_mails_in_tests(settings):
    assert mail.outbox == []
    assert "locmem" in settings.MAILERS["default"]["BACKEND"]


def test_one_mail_per_organisation_lists_its_unfinished_subjects(campaign):
    sent = campaign_reminder_send.call(campaign.pk, (CLOSES - datetime.timedelta(days=14)).isoformat())
    assert sent == 2
    by_recipients = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipients) == {("alice@acme.test", "bob@acme.test"), ("carol@globex.test",)}
    acme = by_recipients[("alice@acme.test", "bob@acme.test")]
    assert "ACME DPI" in acme.body and "ACME LGC" in acme.body
    assert "ACME RIS" not in acme.body and "Globex" not in acme.body
    assert "14" in acme.subject and "Campagne 2025 S2" in acme.subject
    assert "http://" in acme.body
    reminder = CampaignReminder.objects.get()
    assert (reminder.days_before, reminder.organisations) == (14, 2)


def test_the_command_enqueues_only_on_reminder_days_and_only_once(campaign):
    call_command("send_campaign_reminders", date="2025-12-01")  # 14 days before: sent (immediate backend)
    assert len(mail.outbox) == 2
    call_command("send_campaign_reminders", date="2025-12-01")  # same day again: nothing
    assert len(mail.outbox) == 2
    call_command("send_campaign_reminders", date="2025-12-02")  # 13 days before: not a reminder day
    assert len(mail.outbox) == 2
    call_command("send_campaign_reminders", date="2025-12-12")  # 3 days before
    assert len(mail.outbox) == 4
    assert list(CampaignReminder.objects.order_by("sent_on").values_list("days_before", flat=True)) == [14, 3]


def test_a_task_enqueued_twice_the_same_day_mails_once(campaign):
    day = (CLOSES - datetime.timedelta(days=3)).isoformat()
    assert campaign_reminder_send.call(campaign.pk, day) == 2
    assert campaign_reminder_send.call(campaign.pk, day) == 0
    assert len(mail.outbox) == 2


def test_closed_and_draft_campaigns_get_no_reminder(campaign):
    campaign.status = "closed"
    campaign.save()
    assert campaign_reminders_enqueue(today=CLOSES - datetime.timedelta(days=3)) == []
    assert mail.outbox == []


def test_the_reminder_delays_come_from_the_settings(campaign, settings):
    settings.CAMPAIGN_REMINDER_DAYS = [7]
    assert campaign_reminders_enqueue(today=CLOSES - datetime.timedelta(days=14)) == []
    assert [days for _c, days in campaign_reminders_enqueue(today=CLOSES - datetime.timedelta(days=7))] == [7]


def test_a_bad_date_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("send_campaign_reminders", date="tomorrow")
