"""The JSON dataset import with milestones and blockers on every answer (issue 11, item 5): the
flat path's machinery (answers checked once per distinct combination, bulk writes), and a
re-import of an unchanged file writes nothing (counted in rows touched, not only in the
summary)."""

import json

import pytest
from django.db import connection

from convergence.assessments.models import Answer, AnswerBlocker, Milestone
from convergence.exchange.services import dataset_import

AXES = ("INS", "DMP", "MSS", "SECU")


def rows_touched() -> int:
    """Rows inserted, updated or deleted so far by this connection (SQLite's counter; on
    PostgreSQL the current transaction's statistics: the test runs in one), the report facts'
    stale marks left out (PostgreSQL's statement triggers write one per statement: derived data,
    not the importer's writes)."""
    if connection.vendor == "sqlite":
        # total_changes counts the triggers' inserts and deletes of stale marks too: take them
        # out (inserts: the table's AUTOINCREMENT sequence; deletes: inserts minus the rows added).
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s), "
                "(SELECT COUNT(*) FROM analytics_staleassessment)",
                ["analytics_staleassessment"],
            )
            inserted, present = cursor.fetchone()
        return connection.connection.total_changes - 2 * inserted + present
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname NOT LIKE 'analytics%%'"
        )
        return int(cursor.fetchone()[0])


def dataset(products: int = 30, assessments=None) -> dict:
    return {
        "format": "convergence-dataset/1",
        "referential": "doctrine-test",
        "campaign": {
            "code": "2020-S2",
            "title": "Campagne 2020 S2",
            "opens_on": "2020-09-01",
            "closes_on": "2020-12-15",
        },
        "organisations": [
            {"code": "acme", "name": "ACME Santé", "kind": "vendor", "siren": "732829320"},
        ],
        "subjects": [
            {
                "code": f"p{index}",
                "kind": "product",
                "name": f"Produit {index}",
                "organisation": "acme",
                "category": "dpi",
                "status": "active",
            }
            for index in range(products)
        ],
        "assessments": assessments
        if assessments is not None
        else [
            {
                "subject": f"p{index}",
                "status": "submitted",
                "answers": [
                    {
                        "axis": axis,
                        "level": (index + position) % 3,
                        "milestones": [{"level": 3, "due_on": f"202{7 + position % 2}-12-31"}]
                        if (index + position) % 3 == 2
                        else [
                            {"level": (index + position) % 3 + 1, "due_on": "2027-06-30"},
                            {"level": 3, "due_on": "2028-12-31"},
                        ],
                        "blockers": ["visibilite"] if position % 2 else ["calendrier-national", "visibilite"],
                        "comment": f"commentaire {index}" if position == 0 else "",
                    }
                    for position, axis in enumerate(AXES)
                ],
            }
            for index in range(products)
        ],
    }


def write(tmp_path, document, name="dataset.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_a_json_reimport_of_an_unchanged_file_writes_nothing(campaign, tmp_path):
    path = write(tmp_path, dataset())
    first = dataset_import(path=path)
    assert first.problems == []
    assert first.counts["answers"] == {"created": 120}
    assert Milestone.objects.count() == 200 and AnswerBlocker.objects.count() == 180
    before = rows_touched()
    again = dataset_import(path=path)
    assert again.problems == []
    assert again.summary == "created 0, updated 0, unchanged 182"  # campaign, org, 30 + 30 + 120
    assert rows_touched() == before  # not a row inserted, updated nor deleted
    # One blocker changed: only that answer's blockers, the answer and its assessment's version.
    changed = dataset()
    changed["assessments"][3]["answers"][1]["blockers"] = ["calendrier-national"]
    before = rows_touched()
    outcome = dataset_import(path=write(tmp_path, changed, "changed.json"))
    assert outcome.counts["answers"] == {"unchanged": 119, "updated": 1}
    touched = rows_touched() - before
    # delete 1 blocker + insert 1, the answer's updated_at, the assessment's version
    assert 0 < touched <= 4, touched
    answer = Answer.objects.get(assessment__subject__code="p3", axis__code="DMP")
    assert set(answer.blockers.values_list("code", flat=True)) == {"calendrier-national"}


def test_json_answers_checked_once_per_combination_still_report_each_location(campaign, tmp_path):
    """The checks' cache is keyed by the values with their types: 1, True and "1" differ, and a
    repeated invalid answer is reported at each place it occurs."""
    answers = [
        {"subject": "p0", "status": "draft", "answers": [{"axis": "INS", "level": 1}]},
        {"subject": "p1", "status": "draft", "answers": [{"axis": "INS", "level": True}]},
        {"subject": "p2", "status": "draft", "answers": [{"axis": "INS", "level": "1"}]},
        {
            "subject": "p3",
            "status": "draft",
            "answers": [{"axis": "INS", "level": 1, "milestones": [{"level": 1, "due_on": "2027-01-01"}]}],
        },
        {
            "subject": "p4",
            "status": "draft",
            "answers": [{"axis": "INS", "level": 1, "milestones": [{"level": 1, "due_on": "2027-01-01"}]}],
        },
        {"subject": "p5", "status": "draft", "answers": [{"axis": "INS", "level": None}]},
        {
            "subject": "p6",
            "status": "draft",
            "answers": [{"axis": "INS", "level": None, "not_applicable_reason": "  "}],
        },
    ]
    outcome = dataset_import(path=write(tmp_path, dataset(products=7, assessments=answers)))
    where = sorted({problem.where for problem in outcome.problems})
    assert where == [
        "assessments[1].answers[0].level",
        "assessments[2].answers[0].level",
        "assessments[3].answers[0].milestones[0].level",
        "assessments[4].answers[0].milestones[0].level",
        "assessments[5].answers[0].not_applicable_reason",
        "assessments[6].answers[0].not_applicable_reason",
    ]
    assert not Answer.objects.exists()  # all or nothing


@pytest.mark.parametrize(
    "answer, where",
    [
        ({"axis": "INS", "level": 1, "extra": 1}, "assessments[0].answers[0].extra"),
        (
            {"axis": "INS", "level": 1, "milestones": [{"level": 2, "due_on": "2027-01-01", "x": 1}]},
            "assessments[0].answers[0].milestones[0].x",
        ),
        ({"axis": "INS", "level": 1, "blockers": [1]}, "assessments[0].answers[0].blockers"),
        ({"axis": 3, "level": 1}, "assessments[0].answers[0].axis"),
        ({"axis": "INS", "level": [1]}, "assessments[0].answers[0].level"),
    ],
)
def test_malformed_json_answers_are_still_read_problem_by_problem(campaign, tmp_path, answer, where):
    answers = [{"subject": "p0", "status": "draft", "answers": [answer]}]
    outcome = dataset_import(path=write(tmp_path, dataset(products=1, assessments=answers)))
    assert where in {problem.where for problem in outcome.problems}, outcome.problems
