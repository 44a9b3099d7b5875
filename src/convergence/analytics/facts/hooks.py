"""The after-commit hook of the write paths: the facts of a write are refreshed once it commits,
never by a read.

`facts_changed()` is the one hook. The app connects it to the saves and deletions of every model
the facts derive from (apps.py), which covers the services (submission, return, validation,
answers, milestones, blockers, a subject's or a campaign's changes, the campaign opening's
status) and the admin; the bulk writers that bypass model signals (the dataset importer's COPY)
refresh after their own commit (`facts_refresh()` in the import command and the web import's
task). Whatever the hook misses, a report stays exact: it computes the facts of stale
assessments on the fly (`analytics.queries.FactsSource`); it is only slower until the next
refresh.
"""

from __future__ import annotations

from django.db import connection, transaction

from ..models import StaleAssessment
from ..sql import _fetch, _table
from .refresh import facts_refresh

# Up to this many stale marks are refreshed in the committing process (a few milliseconds for a
# questionnaire's save or a review); more (a campaign opening, a bulk write) go to the worker.
INLINE_MAX = 2_000


def facts_changed(**_signal_kwargs) -> None:
    """Schedule a refresh of the facts after the current transaction commits (at once outside a
    transaction); once per transaction, however many writes call it. A signal receiver too."""
    # Already scheduled in this transaction (a rollback forgets it with the savepoint's callbacks).
    if connection.in_atomic_block and any(entry[1] is _after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_after_commit)


def _after_commit() -> None:
    marks = _fetch(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {_table(StaleAssessment)} LIMIT %s) x", [INLINE_MAX + 1]
    )
    if not marks[0][0]:
        return
    if marks[0][0] > INLINE_MAX:
        from ..tasks import facts_refresh_task  # the tasks import the services, which import this

        facts_refresh_task.enqueue()
        return
    facts_refresh()
