"""The flat-format reader checks repeated cells once (organisation, subject, answer cells):
every row must still be reported and stored as if it had been checked alone."""

import csv

from convergence.assessments.models import Answer
from convergence.exchange.formats import COLUMNS
from convergence.exchange.services import dataset_import


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow([*COLUMNS, "siren"])
        for subject, axis, level, comment in rows:
            writer.writerow(
                ["2020-S2", "acme", "ACME", "vendor", "", subject, "product", f"Produit {subject}", "dpi"]
                + ["active", "draft", axis, level, "", "", "", comment, "732829320"]
            )
    return path


def test_identical_bad_cells_are_reported_on_every_row(campaign, tmp_path):
    path = write(
        tmp_path / "bad.csv", [("p1", "INS", "9", ""), ("p2", "INS", "9", ""), ("p3", "INS", "NA", "")]
    )
    outcome = dataset_import(path=path)
    lines = [problem.english() for problem in outcome.problems]
    assert "row 2, column level: level 9 is outside the scale 0..3" in lines
    assert "row 3, column level: level 9 is outside the scale 0..3" in lines
    assert any(line.startswith("row 4, column comment:") for line in lines)
    assert len(lines) == 3


def test_identical_answer_cells_keep_each_rows_comment_and_reason(campaign, tmp_path):
    path = write(
        tmp_path / "good.csv",
        [
            ("p1", "INS", "2", "premier"),
            ("p2", "INS", "2", "second"),
            ("p1", "DMP", "NA", "raison 1"),
            ("p2", "DMP", "NA", "raison 2"),
        ],
    )
    outcome = dataset_import(path=path)
    assert outcome.problems == []
    stored = {
        (a.assessment.subject.code, a.axis.code): (a.level, a.comment, a.not_applicable_reason)
        for a in Answer.objects.select_related("assessment__subject", "axis")
    }
    assert stored == {
        ("p1", "INS"): (2, "premier", ""),
        ("p2", "INS"): (2, "second", ""),
        ("p1", "DMP"): (None, "", "raison 1"),
        ("p2", "DMP"): (None, "", "raison 2"),
    }


def test_a_row_naming_another_organisation_after_valid_rows_is_still_reported(campaign, tmp_path):
    from tests.factories import OrganisationFactory

    acme = OrganisationFactory(code="acme", name="ACME")
    OrganisationFactory(code="other", name="Other")
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(COLUMNS)
        for org in ("acme", "acme", "other", "other"):
            writer.writerow(
                [
                    "2020-S2",
                    org,
                    "ACME" if org == "acme" else "Other",
                    "vendor",
                    "",
                    f"{org}-p",
                    "product",
                    "P",
                    "dpi",
                ]
                + ["active", "draft", "INS" if len(org) == 4 else "DMP", "1", "", "", "", ""]
            )
    outcome = dataset_import(path=path, organisation=acme)
    assert [p.where for p in outcome.problems] == [
        "row 3, column axis",
        "row 4, column organisation",
        "row 5, column organisation",
    ]
