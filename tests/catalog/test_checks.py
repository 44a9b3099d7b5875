"""The subject record rules, as pure functions: plain values in, located problems out."""

from convergence.catalog.checks import subject_kind_for, subject_problems
from convergence.catalog.models import Subject

PRODUCT = {
    "kind": "product",
    "organisation_kind": "vendor",
    "name": "ACME DPI",
    "type_or_category": "dpi",
    "known_codes": {"dpi", "lgc"},
    "referential": "ref-2025",
}
SERVICE = {
    "kind": "service",
    "organisation_kind": "grades",
    "name": "Télécons",
    "type_or_category": "telecons",
    "known_codes": {"telecons", "ror"},
    "referential": "ref-2025",
    "region": "76",
    "organisation_region": "76",
}


def fields(problems):
    return [problem.field for problem in problems]


def test_a_valid_product_and_a_valid_service_have_no_problem():
    assert subject_problems(**PRODUCT) == []
    assert subject_problems(**SERVICE, status="technical", code="grades-occ-telecons") == []


def test_each_kind_of_organisation_declares_its_kind_of_subject():
    assert (subject_kind_for("vendor"), subject_kind_for("ars"), subject_kind_for("grades")) == (
        "product",
        "service",
        "service",
    )
    assert subject_kind_for("agency") is None
    assert fields(subject_problems(**{**PRODUCT, "organisation_kind": "ars"})) == ["kind"]
    assert fields(subject_problems(**{**SERVICE, "organisation_kind": "vendor"})) == ["kind"]
    assert fields(subject_problems(**{**PRODUCT, "organisation_kind": "agency"})) == [""]
    assert fields(subject_problems(**{**PRODUCT, "kind": "device"})) == ["kind"]


def test_a_type_or_category_must_be_known_to_the_referential_and_the_message_names_them():
    problems = subject_problems(**{**PRODUCT, "type_or_category": "telecons"})
    assert fields(problems) == ["type_or_category"]
    assert '"telecons"' in problems[0].message and "dpi, lgc" in problems[0].message
    assert "ref-2025" in problems[0].message
    assert fields(subject_problems(**{**SERVICE, "type_or_category": ""})) == ["type_or_category"]
    assert fields(subject_problems(**{**PRODUCT, "known_codes": None})) == ["type_or_category"]


def test_a_status_must_be_known():
    assert fields(subject_problems(**PRODUCT, status="dead")) == ["status"]


def test_a_service_needs_a_region_of_its_regional_organisation():
    assert fields(subject_problems(**{**SERVICE, "region": ""})) == ["region"]
    assert fields(subject_problems(**{**SERVICE, "region": "99"})) == ["region"]
    problems = subject_problems(**{**SERVICE, "region": "11"})
    assert fields(problems) == ["region"] and "76" in problems[0].message
    assert fields(subject_problems(**PRODUCT, region="76")) == ["region"]


def test_lengths_come_from_the_model_fields():
    for field in ("name", "version", "product_reference"):
        limit = Subject._meta.get_field(field).max_length
        assert subject_problems(**{**PRODUCT, field: "x" * limit}) == []
        assert fields(subject_problems(**{**PRODUCT, field: "x" * (limit + 1)})) == [field]
    assert fields(subject_problems(**{**PRODUCT, "name": " "})) == ["name"]
    assert fields(subject_problems(**PRODUCT, code="no spaces")) == ["code"]
