from django.db import migrations

from convergence.analytics import facts


def reinstall(apps, schema_editor):
    # Two reasons to reinstall the triggers: SQLite's row-level triggers now replace a mark
    # already there instead of skipping it (every write moves the dashboards' cache key,
    # facts_versions, while the facts are stale); and SQLite drops a table's triggers when a
    # migration rebuilds the table (referential 0003-0006 added columns to the referential
    # table, and its scale trigger was gone). Hence the dependencies on the latest migration of
    # every app whose tables carry triggers: a later migration that rebuilds one of them needs a
    # new reinstall (tests/analytics/test_facts.py fails on SQLite otherwise).
    facts.drop_triggers(schema_editor)
    facts.install_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_snapshotrendering"),
        ("assessments", "0006_review"),
        ("catalog", "0003_audit_acting_organisation"),
        ("organisations", "0002_invitations_security_audit"),
        ("referential", "0006_publication"),
    ]

    operations = [migrations.RunPython(reinstall, reinstall)]
