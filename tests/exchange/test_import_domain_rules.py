"""The dataset import applies the domain's own rules (organisations, catalog, assessments): each
divergence it had from the web forms and services is a located problem, and nothing is written."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.exchange.formats import COLUMNS
from convergence.exchange.models import ImportRun
from convergence.exchange.problems import stored_problem_cells
from convergence.exchange.services import dataset_import
from convergence.organisations.models import Organisation
from tests.exchange.test_dataset_command import DATASET, SIREN
from tests.exchange.test_web_import import row, upload
from tests.factories import MembershipFactory, OrganisationFactory

MODELS = (Organisation, Subject, Campaign, Assessment, Answer, Milestone, AnswerBlocker)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def dataset(**changes):
    data = json.loads(json.dumps(DATASET))
    for key, value in changes.items():
        data[key] = value
    return data


def import_json(tmp_path, data):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return [problem.english() for problem in dataset_import(path=path).problems]


def import_csv(tmp_path, rows, columns=COLUMNS, **options):
    path = tmp_path / "data.csv"
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=columns)
        writer.writeheader()
        writer.writerows({column: values.get(column, "") for column in columns} for values in rows)
    return [problem.english() for problem in dataset_import(path=path, **options).problems]


def test_a_json_import_refuses_a_vendor_owning_a_regional_service(referential, tmp_path):
    data = dataset()
    data["subjects"][0]["organisation"] = "acme"  # occ-ror, a service, declared by a vendor
    before = counts()
    problems = import_json(tmp_path, data)
    assert problems == ["subjects[0].kind: A software vendor declares products, not regional services."]
    assert counts() == before


def test_a_csv_import_by_the_agency_refuses_a_vendor_owning_a_regional_service(campaign, tmp_path):
    rows = [row(organisation="acme", organisation_name="ACME", organisation_kind="vendor", siren=SIREN)]
    before = counts()
    problems = import_csv(tmp_path, rows, [*COLUMNS, "siren"])
    assert problems == [
        "row 2, column subject_kind: A software vendor declares products, not regional services."
    ]
    assert counts() == before


def test_a_json_import_refuses_a_second_national_agency(referential, tmp_path):
    OrganisationFactory(code="ans", name="Agence", agency=True)
    data = dataset()
    data["organisations"].append({"code": "agence-bis", "name": "Autre agence", "kind": "agency"})
    before = counts()
    problems = import_json(tmp_path, data)
    assert problems == ["organisations[2].kind: There is already a national agency."]
    assert counts() == before


def test_a_json_import_refuses_a_second_ars_in_one_region(referential, tmp_path):
    OrganisationFactory(code="ars-occ", name="ARS Occitanie", ars=True)  # region 76
    data = dataset()
    data["organisations"].append({"code": "ars-occ-2", "name": "ARS bis", "kind": "ars", "region": "76"})
    before = counts()
    problems = import_json(tmp_path, data)
    assert problems == ["organisations[2].region: This region already has an organisation of this kind."]
    assert counts() == before


def test_one_file_cannot_create_two_ars_of_one_region_either(referential, tmp_path):
    data = dataset()
    data["organisations"] += [
        {"code": "ars-a", "name": "ARS A", "kind": "ars", "region": "84"},
        {"code": "ars-b", "name": "ARS B", "kind": "ars", "region": "84"},
    ]
    before = counts()
    problems = import_json(tmp_path, data)
    assert problems == ["organisations[3].region: This region already has an organisation of this kind."]
    assert counts() == before


def test_a_json_import_refuses_a_vendor_without_a_siren(referential, tmp_path):
    data = dataset()
    del data["organisations"][1]["siren"]
    before = counts()
    problems = import_json(tmp_path, data)
    assert problems == ["organisations[1].siren: A software vendor needs its SIREN."]
    assert counts() == before


def test_a_flat_row_creating_a_vendor_needs_the_optional_siren_column(campaign, tmp_path):
    product = {
        "campaign": "2020-S2",
        "organisation": "acme",
        "organisation_name": "ACME Santé",
        "organisation_kind": "vendor",
        "subject": "acme-dpi",
        "subject_kind": "product",
        "subject_name": "ACME DPI",
        "type_or_category": "dpi",
        "status": "active",
        "assessment_status": "draft",
        "axis": "INS",
        "level": "2",
    }
    before = counts()
    assert import_csv(tmp_path, [product]) == ["row 2, column siren: A software vendor needs its SIREN."]
    assert counts() == before
    assert import_csv(tmp_path, [product], [*COLUMNS, "siren"]) == [
        "row 2, column siren: A software vendor needs its SIREN."
    ]
    assert counts() == before
    assert import_csv(tmp_path, [{**product, "siren": "123456789"}], [*COLUMNS, "siren"]) == [
        "row 2, column siren: '123456789' is not a valid SIREN (9 digits with a valid check digit)"
    ]
    assert counts() == before
    assert import_csv(tmp_path, [{**product, "siren": SIREN}], [*COLUMNS, "siren"]) == []
    assert Organisation.objects.get(code="acme").siren == SIREN
    # A stored vendor: a file without the column leaves its SIREN as it is.
    assert import_csv(tmp_path, [{**product, "level": "3"}]) == []
    assert Organisation.objects.get(code="acme").siren == SIREN


def test_the_flat_export_carries_the_siren_and_imports_back(referential, tmp_path):
    source = tmp_path / "data.json"
    source.write_text(json.dumps(DATASET), encoding="utf-8")
    call_command("import_dataset", str(source), stdout=io.StringIO())
    exported = tmp_path / "export.csv"
    call_command("export_dataset", "--campaign", "2020-S2", "--format", "csv", "-o", str(exported))
    header, *lines = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert header == [*COLUMNS, "siren"]
    assert {line[header.index("siren")] for line in lines if line[1] == "acme"} == {SIREN}
    Organisation.objects.filter(code="acme").update(siren="")
    assert dataset_import(path=exported).problems == []
    assert Organisation.objects.get(code="acme").siren == SIREN


# --- the submission rule -----------------------------------------------------------------


def test_a_web_import_cannot_submit_an_incomplete_assessment(client, grades, campaign):
    """The defect: a "submitted" ROR with one of its three axes answered (web and API submit
    refuse it)."""
    client.force_login(grades.user)
    before = counts()
    run = upload(client, [row(assessment_status="submitted")])
    assert run.status == ImportRun.Status.REJECTED
    assert [stored_problem_cells(problem, "en") for problem in run.problems] == [
        ("2", "assessment_status", "Answer every axis before submitting. Not answered yet: DMP, MSS.")
    ]
    assert counts() == before
    complete = [
        row(assessment_status="submitted"),
        row(assessment_status="submitted", axis="DMP", level="1"),
        row(assessment_status="submitted", axis="MSS", level="NA", comment="pas de messagerie"),
    ]
    assert upload(client, complete).status == ImportRun.Status.PREVIEWED


def test_a_json_import_cannot_hold_a_submitted_or_validated_assessment_with_axes_missing(
    referential, tmp_path
):
    for status in ("submitted", "validated"):
        data = dataset()
        data["assessments"][0]["status"] = status
        data["assessments"][0]["answers"].pop()  # MSS
        before = counts()
        assert import_json(tmp_path, data) == [
            "assessments[0].answers: Answer every axis before submitting. Not answered yet: MSS."
        ]
        assert counts() == before


def test_an_answer_in_progress_does_not_count_as_answered(referential, tmp_path):
    data = dataset()
    data["assessments"][0]["answers"][2] = {"axis": "MSS", "comment": "en cours"}
    assert import_json(tmp_path, data) == [
        "assessments[0].answers: Answer every axis before submitting. Not answered yet: MSS."
    ]
    assert not Organisation.objects.exists()


def test_stored_answers_count_for_the_submission_of_a_later_file(campaign, tmp_path):
    axes = [("INS", "2", ""), ("DMP", "1", ""), ("MSS", "NA", "pas de messagerie")]
    assert import_csv(tmp_path, [row(axis=a, level=lv, comment=c) for a, lv, c in axes]) == []
    # The draft's three answers are stored: submitting it by a file of one row is complete.
    assert import_csv(tmp_path, [row(assessment_status="submitted", level="3")]) == []
    assessment = Assessment.objects.get(subject__code="occ-ror")
    assert assessment.status == "submitted" and assessment.answers.count() == 3


# --- closed campaigns ----------------------------------------------------------------------


def test_a_member_cannot_import_into_a_closed_campaign(client, grades, campaign):
    campaign.status = "closed"
    campaign.save()
    client.force_login(grades.user)
    before = counts()
    run = upload(client, [row()])
    assert run.status == ImportRun.Status.REJECTED
    assert stored_problem_cells(run.problems[0], "en") == (
        "",
        "",
        'campaign: campaign "2020-S2" is not open; answers can no longer be imported',
    )
    assert counts() == before


def test_the_agency_defines_a_past_campaign_as_it_was(referential, tmp_path):
    """Contract, section 3: past campaigns import as they were (closed, submitted and validated
    assessments, milestones already due); the command line imports for the agency."""
    data = dataset()
    data["campaign"]["status"] = "closed"
    data["assessments"][0]["status"] = "validated"
    assert import_json(tmp_path, data) == []
    campaign = Campaign.objects.get(code="2020-S2")
    assert campaign.status == "closed" and campaign.closes_on == datetime.date(2020, 12, 15)
    assert Assessment.objects.get(subject__code="occ-ror").status == "validated"
    assert import_json(tmp_path, data) == []  # and again: idempotent


@pytest.fixture
def agency_member(db):
    return MembershipFactory(organisation=OrganisationFactory(code="ans", name="Agence", agency=True))


def test_the_agencys_web_import_refuses_a_vendor_owning_a_service_too(client, agency_member, campaign):
    client.force_login(agency_member.user)
    OrganisationFactory(code="acme", name="ACME")
    before = counts()
    run = upload(client, [row(organisation="acme", organisation_name="ACME", organisation_kind="vendor")])
    assert run.status == ImportRun.Status.REJECTED
    assert [stored_problem_cells(problem, "en") for problem in run.problems] == [
        ("2", "subject_kind", "A software vendor declares products, not regional services.")
    ]
    assert counts() == before
    assert reverse("exchange:import")


def test_an_assessment_listed_without_answers_is_judged_on_its_stored_answers(referential, tmp_path):
    assert import_json(tmp_path, dataset()) == []
    data = dataset()
    data["assessments"][0]["answers"] = []  # the stored INS, DMP and MSS answers stay
    data["assessments"][1] = {"subject": "acme-dpi", "status": "submitted", "answers": []}
    before = counts()
    # acme-dpi has only INS stored: submitting it by the file is refused; occ-ror is complete.
    assert import_json(tmp_path, data) == [
        "assessments[1].answers: Answer every axis before submitting. Not answered yet: DMP, MSS, SECU."
    ]
    assert counts() == before
    assert Assessment.objects.get(subject__code="acme-dpi").status == "draft"
