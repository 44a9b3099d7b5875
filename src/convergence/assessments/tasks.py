"""Background work of campaigns: deadline reminders (django.tasks, run by `convergence db_worker`).

`send_campaign_reminders` (management command, run daily by cron or by hand) enqueues
`campaign_reminder_send` for each open campaign whose deadline is CAMPAIGN_REMINDER_DAYS away.
The task records a `CampaignReminder` row for (campaign, day) in the same transaction as the
sending, so a second run the same day, or a task enqueued twice, mails nobody twice.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from convergence.organisations.models import Membership

from .enums import EDITABLE_STATUSES, CampaignStatus
from .models import Assessment, Campaign, CampaignReminder

logger = logging.getLogger(__name__)


def reminder_days() -> list[int]:
    return sorted({int(days) for days in getattr(settings, "CAMPAIGN_REMINDER_DAYS", [14, 3])}, reverse=True)


def campaigns_due_for_reminder(today: datetime.date) -> list[tuple[Campaign, int]]:
    """Open campaigns whose deadline is one of the reminder delays away and not reminded today."""
    deadlines = {today + datetime.timedelta(days=days): days for days in reminder_days()}
    due = (
        Campaign.objects.filter(status=CampaignStatus.OPEN, closes_on__in=deadlines)
        .exclude(reminders__sent_on=today)
        .order_by("closes_on", "code")
    )
    return [(campaign, deadlines[campaign.closes_on]) for campaign in due]


@task
def campaign_reminder_send(campaign_id: int, sent_on: str) -> int:
    """Mail the members of every organisation with unfinished (draft or returned) assessments in
    the campaign: one mail per organisation listing its unfinished subjects. Returns how many
    organisations were mailed (0 when this day's reminder was already sent)."""
    day = datetime.date.fromisoformat(sent_on)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.get(pk=campaign_id)
            days_before = (campaign.closes_on - day).days
            reminder = CampaignReminder.objects.create(
                campaign=campaign, sent_on=day, days_before=days_before
            )
            count = _send(campaign=campaign, days_before=days_before)
            reminder.organisations = count
            reminder.save(update_fields=["organisations"])
    except IntegrityError:
        logger.info("reminder for campaign %s on %s already sent", campaign_id, sent_on)
        return 0
    return count


def _send(*, campaign: Campaign, days_before: int) -> int:
    unfinished: dict[int, list[Any]] = {}
    rows = (
        Assessment.objects.filter(campaign=campaign, status__in=EDITABLE_STATUSES)
        .order_by("subject__organisation_id", "subject__name")
        .values(
            "subject__organisation_id",
            "subject__organisation__name",
            "subject__name",
            "subject__version",
            "status",
        )
    )
    names: dict[int, str] = {}
    for row in rows:
        organisation_id = row["subject__organisation_id"]
        names[organisation_id] = row["subject__organisation__name"]
        unfinished.setdefault(organisation_id, []).append(row)
    recipients: dict[int, list[str]] = {}
    for organisation_id, email in (
        Membership.objects.filter(
            organisation_id__in=unfinished, user__is_active=True, organisation__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("organisation_id", "user__email")
    ):
        recipients.setdefault(organisation_id, []).append(email)
    base_url = getattr(settings, "SITE_URL", "").rstrip("/")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for organisation_id, subjects in unfinished.items():
            if not recipients.get(organisation_id):
                continue  # an organisation with no account yet: nobody to remind
            context = {
                "campaign": campaign,
                "days_before": days_before,
                "organisation_name": names[organisation_id],
                "subjects": subjects,
                "base_url": base_url,
            }
            subject = render_to_string("emails/campaign_reminder_subject.txt", context).strip()
            message = EmailMultiAlternatives(
                subject=" ".join(subject.split()),
                body=render_to_string("emails/campaign_reminder.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=recipients[organisation_id],
            )
            message.attach_alternative(
                render_to_string("emails/campaign_reminder.html", context), "text/html"
            )
            messages.append(message)
    for message in messages:
        message.send()
    return len(messages)


def campaign_reminders_enqueue(*, today: datetime.date | None = None) -> list[tuple[Campaign, int]]:
    """Enqueue the reminder of every campaign due today; returns what was enqueued."""
    today = today or timezone.localdate()
    due = campaigns_due_for_reminder(today)
    for campaign, _days in due:
        campaign_reminder_send.enqueue(campaign.pk, today.isoformat())
    return due
