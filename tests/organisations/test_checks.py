"""The organisation record rules, as pure functions: plain values in, located problems out."""

from convergence.organisations.checks import (
    normalise_siren,
    organisation_problems,
    organisation_uniqueness_problems,
)
from convergence.organisations.models import Organisation


def fields(problems):
    return [problem.field for problem in problems]


def test_a_valid_vendor_ars_grades_and_agency_have_no_problem():
    assert organisation_problems(kind="vendor", name="ACME", siren="732829320") == []
    assert organisation_problems(kind="vendor", name="ACME", siren="732829320", region="76") == []
    assert organisation_problems(kind="ars", name="ARS Occitanie", region="76") == []
    assert (
        organisation_problems(kind="grades", name="e-santé Occitanie", region="76", code="grades-occ") == []
    )
    assert organisation_problems(kind="agency", name="Agence") == []


def test_an_unknown_kind_is_located_on_kind_and_names_the_known_kinds():
    problems = organisation_problems(kind="hospital", name="CHU")
    assert fields(problems) == ["kind"]
    assert "vendor, ars, grades, agency" in problems[0].message and "hospital" in problems[0].message


def test_a_name_is_required_and_no_longer_than_the_model_field():
    assert fields(organisation_problems(kind="agency", name="  ")) == ["name"]
    limit = Organisation._meta.get_field("name").max_length
    assert organisation_problems(kind="agency", name="x" * limit) == []
    problems = organisation_problems(kind="agency", name="x" * (limit + 1))
    assert fields(problems) == ["name"] and str(limit) in problems[0].message


def test_a_code_is_checked_only_when_given():
    assert fields(organisation_problems(kind="agency", name="A", code="not a slug")) == ["code"]
    assert fields(organisation_problems(kind="agency", name="A", code="x" * 101)) == ["code"]
    assert organisation_problems(kind="agency", name="A", code=None) == []


def test_a_regional_organisation_needs_a_known_region():
    assert fields(organisation_problems(kind="ars", name="ARS")) == ["region"]
    assert fields(organisation_problems(kind="grades", name="G", region="")) == ["region"]
    problems = organisation_problems(kind="ars", name="ARS", region="99")
    assert fields(problems) == ["region"] and "76" in problems[0].message


def test_a_vendor_region_is_optional_but_known_and_the_agency_has_none():
    assert fields(organisation_problems(kind="vendor", name="V", siren="732829320", region="99")) == [
        "region"
    ]
    assert fields(organisation_problems(kind="agency", name="A", region="76")) == ["region"]


def test_a_vendor_needs_a_valid_siren_and_only_a_vendor_has_one():
    assert fields(organisation_problems(kind="vendor", name="V")) == ["siren"]
    problems = organisation_problems(kind="vendor", name="V", siren="732829321")
    assert fields(problems) == ["siren"] and "732829321" in problems[0].message
    assert fields(organisation_problems(kind="ars", name="A", region="76", siren="732829320")) == ["siren"]
    assert normalise_siren(" 732 829 320 ") == "732829320" and normalise_siren(None) == ""


def test_every_problem_of_a_record_is_reported_at_once():
    problems = organisation_problems(kind="vendor", name="", siren="1", region="99", code="a b")
    assert sorted(fields(problems)) == ["code", "name", "region", "siren"]


def test_there_is_one_national_agency():
    assert fields(organisation_uniqueness_problems(kind="agency", existing=[("agency", "")])) == ["kind"]
    assert organisation_uniqueness_problems(kind="agency", existing=[("ars", "76")]) == []


def test_a_region_has_at_most_one_ars_and_one_grades():
    existing = [("ars", "76"), ("grades", "11")]
    assert fields(organisation_uniqueness_problems(kind="ars", region="76", existing=existing)) == ["region"]
    assert organisation_uniqueness_problems(kind="grades", region="76", existing=existing) == []
    assert organisation_uniqueness_problems(kind="ars", region="11", existing=existing) == []
    # Vendors are not counted per region.
    assert organisation_uniqueness_problems(kind="vendor", region="76", existing=[("vendor", "76")]) == []


def test_a_problem_located_in_a_larger_record_keeps_its_field():
    (problem,) = organisation_problems(kind="vendor", name="V")
    assert problem.located("organisations[2]").field == "organisations[2].siren"
