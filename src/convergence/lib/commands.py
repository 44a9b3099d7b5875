"""The base of the project's own management commands.

Django runs every system check before a command, and the URL checks import the whole URLconf
(every view module and what it imports): about a second before a command does anything. The
project's commands read and write data and serve no URL, so they skip the checks; `convergence
check` (and `check --deploy`) still runs them all, as does `runserver` and `migrate`.
"""

from django.core.management.base import BaseCommand


class DataCommand(BaseCommand):
    requires_system_checks: list[str] = []
