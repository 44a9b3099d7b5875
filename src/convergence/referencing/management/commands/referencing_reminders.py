from django.core.management.base import BaseCommand

from convergence.referencing.services import reminders_send


class Command(BaseCommand):
    help = "Send the reminders of awards expiring in 60/30/7 days and of suspensive reservations due (daily)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{reminders_send()} reminder(s) sent")
