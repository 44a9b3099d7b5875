"""Enqueue today's campaign deadline reminders; run it once a day (cron), the worker sends them."""

import datetime

from django.core.management.base import CommandError

from convergence.assessments.tasks import campaign_reminders_enqueue, reminder_days
from convergence.lib.commands import DataCommand


class Command(DataCommand):
    help = (
        "Enqueue the deadline reminders of open campaigns closing in CAMPAIGN_REMINDER_DAYS days "
        "(one mail per organisation with unfinished assessments). Safe to run several times a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="act as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, date=None, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f'--date: "{date}" is not a date (YYYY-MM-DD)') from None
        due = campaign_reminders_enqueue(today=today)
        for campaign, days in due:
            self.stdout.write(f"{campaign.code}: reminder enqueued ({days} days before {campaign.closes_on})")
        self.stdout.write(
            f"{len(due)} reminder(s) enqueued; delays: {', '.join(str(d) for d in reminder_days())} days"
        )
