"""Report facts: one row per answer that a campaign report counts, maintained at write time.

Why: the report's figures group about a million answers by axis, level, type and region, and
the projection needs, per answer, the year its milestones first reach the expected level.
Computed from the normalized tables, that is two passes over the answers joined to assessments,
subjects, expectations and milestones (1.7-2.3 s for 1.2 million answers on PostgreSQL, see
docs/reports.md). `AnswerFact` holds those joins done once per answer, so a report is one scan
of a narrow table with no join.

How the facts stay exact, whatever writes the data (services, the importer's COPY, the admin,
the demo, raw SQL):

1. Database triggers (installed by the analytics migrations, `install_triggers`) record in
   `StaleAssessment` every assessment whose facts a write may change: its answers (and, by
   answer id, their milestones and blockers), its status, its subject (kind, status, type,
   region, organisation), the product's organisation's region, the campaign's referential, the
   referential's scale, type codes and expected levels. A trigger only inserts ids, joining no
   large table; it never computes facts, so a bulk import pays one small insert per statement
   (PostgreSQL, statement-level with transition tables) or per row (SQLite, which has only
   row-level triggers; duplicates are skipped there).
2. `facts_refresh()` (refresh.py) rebuilds the facts of the stale assessments (a DELETE and an
   INSERT ... SELECT, set-based) and forgets them. It runs after the commit of a write: the
   after-commit hook (hooks.py, connected to the source models' saves), `import_dataset` and the
   web import (in the worker). **Never in a read**: a report that meets stale assessments
   computes their facts on the fly with the same SQL (definition.py, the one definition of a
   counted answer; `analytics.queries.FactsSource`), so it is exact and writes nothing.

`BlockerFact` does the same for the blockers cited on those answers (a few percent of them),
so that the blockers section does not join every fact.
"""

from .definition import counted_answers_sql, counted_blockers_sql, stale_assessments_sql, top_level
from .hooks import facts_changed
from .refresh import facts_rebuild, facts_refresh, facts_snapshot, facts_versions
from .triggers import drop_triggers, install_triggers

__all__ = [
    "counted_answers_sql",
    "counted_blockers_sql",
    "drop_triggers",
    "facts_changed",
    "facts_rebuild",
    "facts_refresh",
    "facts_snapshot",
    "facts_versions",
    "install_triggers",
    "stale_assessments_sql",
    "top_level",
]
