"""Loading referential files: what is accepted, what is refused and how it is reported."""

import pytest
import yaml
from django.core.management import call_command

from convergence.referential import models as ref
from convergence.referential.services import (
    ReferentialFileError,
    load_default_referentials,
    referential_default_paths,
    referential_document,
    referential_export,
    referential_import,
)

MODELS = [
    ref.Referential,
    ref.ScaleLevel,
    ref.Axis,
    ref.AxisLevel,
    ref.BlockerCategory,
    ref.ServiceFamily,
    ref.ServiceType,
    ref.ProductCategory,
    ref.Expectation,
]

MINIMAL = """\
format: convergence-referential/1
code: mini-1
title: Mini
published_on: 2021-01-01
scale: {min: 0, max: 3, labels: {0: a, 1: b, 2: c, 3: d}}
axes:
  - {code: INS, name: Identité}
  - code: MSS
    name: Messagerie
    levels: {0: rien, 1: un peu, 2: beaucoup, 3: tout}
blocker_categories:
  - {code: calendrier, name: Calendrier}
service_families:
  - code: telesante
    name: Télésanté
    types:
      - {code: teleconsultation, name: Téléconsultation, common_core: true, expected: {INS: 2, MSS: null}}
product_categories:
  - {code: dpi, name: DPI, expected: {INS: 3}}
"""


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def problems_of(source: str | bytes) -> list[str]:
    with pytest.raises(ReferentialFileError) as caught:
        referential_import(source=source)
    return caught.value.problems


def edited(**changes) -> str:
    data = yaml.safe_load(MINIMAL)
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.django_db
def test_it_loads_a_minimal_file_with_its_applicability():
    result = referential_import(source=MINIMAL)
    assert result.outcome == "created"
    referential = result.referential
    assert referential.status == "published"
    assert str(referential.published_on) == "2021-01-01"
    expectations = {
        (e.service_type.code if e.service_type else e.product_category.code, e.axis.code): e.expected_level
        for e in ref.Expectation.objects.filter(referential=referential).select_related(
            "axis", "service_type", "product_category"
        )
    }
    assert expectations == {
        ("teleconsultation", "INS"): 2,
        ("teleconsultation", "MSS"): None,
        ("dpi", "INS"): 3,
    }
    assert list(ref.AxisLevel.objects.filter(axis__code="MSS").values_list("value", flat=True)) == [
        0,
        1,
        2,
        3,
    ]
    assert len(referential.content_hash) == 64


@pytest.mark.django_db
def test_loading_the_same_file_twice_changes_nothing():
    referential_import(source=MINIMAL)
    before = row_counts()
    ids = sorted(ref.Axis.objects.values_list("pk", flat=True))
    second = referential_import(source=MINIMAL)
    assert second.outcome == "unchanged"
    assert second.summary == "unchanged referential mini-1"
    assert row_counts() == before
    assert sorted(ref.Axis.objects.values_list("pk", flat=True)) == ids


@pytest.mark.django_db
def test_a_file_without_published_on_loads_as_a_draft_and_can_be_replaced():
    draft = MINIMAL.replace("published_on: 2021-01-01\n", "")
    assert referential_import(source=draft).referential.status == "draft"
    changed = draft.replace("title: Mini", "title: Mini revu").replace("{INS: 3}", "{INS: 1, MSS: 2}")
    result = referential_import(source=changed)
    assert result.outcome == "replaced"
    referential = ref.Referential.objects.get(code="mini-1")
    assert referential.title == "Mini revu"
    assert ref.Expectation.objects.filter(product_category__code="dpi").count() == 2


@pytest.mark.django_db
def test_a_published_referential_cannot_change():
    referential_import(source=MINIMAL)
    before = row_counts()
    problems = problems_of(MINIMAL.replace("title: Mini", "title: Autre"))
    assert problems == [
        "code: referential 'mini-1' is published and cannot change; give the new edition a new code"
    ]
    assert row_counts() == before
    assert ref.Referential.objects.get().title == "Mini"


@pytest.mark.django_db
def test_it_reports_every_problem_with_its_location_and_writes_nothing():
    source = """\
format: convergence-referential/2
code: Bad Code
title: ""
scale: {min: 0, max: 3, labels: {0: a, 1: b, 3: d, 5: e}}
axes:
  - {code: INS, name: Identité, levels: {0: x, 1: y, 3: z}}
  - {code: INS, name: Doublon}
  - {code: ins, name: 12}
  - {name: Sans code, colour: blue}
blocker_categories:
  - {code: cal, name: Calendrier}
  - {code: cal, name: Encore}
service_families:
  - code: telesante
    name: Télésanté
    types:
      - {code: tc, name: TC, common_core: "yes", expected: {INS: 2, FOO: 1}}
      - {code: tc, name: TC2, expected: {INS: two}}
product_categories:
  - {code: dpi, name: DPI, expected: {INS: 3}}
  - {code: lgc, name: LGC, expected: {INS: 5}}
"""
    problems = problems_of(source)
    expected = [
        'format: expected "convergence-referential/1", got "convergence-referential/2"',
        "code: invalid code \"Bad Code\": use a-z, 0-9, '.' and '-', starting with a-z or 0-9, "
        "at most 100 characters",
        "title: must not be empty",
        "scale.labels.5: level 5 outside the scale 0-3",
        "scale.labels: missing level 2",
        "axes[0].levels: missing level 2",
        'axes[1].code: duplicate axis code "INS" (already axes[0])',
        "axes[2].code: invalid code \"ins\": use A-Z, 0-9, '_' and '-', at most 50 characters",
        "axes[2].name: expected text, got an integer (12)",
        'axes[3].colour: unknown key "colour"; allowed keys: action_links, actions, actions_en, code, '
        "description, description_en, group, "
        "group_en, levels, levels_en, name, name_en",
        'axes[3]: missing key "code"',
        'blocker_categories[1].code: duplicate blocker category code "cal" (already blocker_categories[0])',
        'service_families[0].types[0].common_core: expected true or false, got text ("yes")',
        'service_families[0].types[0].expected.FOO: unknown axis "FOO"; known axes: INS',
        'service_families[0].types[1].code: duplicate service type code "tc" '
        "(already service_families[0].types[0])",
        'service_families[0].types[1].expected.INS: expected a level or null, got text ("two")',
        "product_categories[1].expected.INS: level 5 outside the scale 0-3",
    ]
    assert sorted(problems) == sorted(expected)
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.django_db
def test_it_refuses_wrong_types_at_the_top():
    assert problems_of("- a\n- b\n") == ["file: expected a mapping, got a list"]
    problems = problems_of(edited(axes="INS", scale=[0, 3], published_on="15/01/2020"))
    assert 'published_on: expected a date YYYY-MM-DD, got "15/01/2020"' in problems
    assert "scale: expected a mapping, got a list" in problems
    assert 'axes: expected a non-empty list of axes, got text ("INS")' in problems


@pytest.mark.django_db
def test_it_refuses_malformed_yaml_with_the_line():
    problems = problems_of("format: convergence-referential/1\naxes: [INS, \n  code: x\n")
    assert len(problems) == 1
    assert problems[0].startswith("line ")


@pytest.mark.django_db
def test_it_refuses_an_impossible_date_with_a_message_not_an_exception():
    problems = problems_of(MINIMAL.replace("published_on: 2021-01-01", "published_on: 2021-13-01"))
    assert problems == ["file: invalid value (month must be in 1..12)"]
    assert not ref.Referential.objects.exists()


@pytest.mark.django_db
def test_it_refuses_duplicate_keys():
    problems = problems_of(MINIMAL.replace("title: Mini\n", "title: Mini\ntitle: Maxi\n"))
    assert problems == ['line 4, column 1: duplicate key "title"']


@pytest.mark.django_db
def test_it_refuses_a_billion_laughs_before_expanding_it():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for index, name in enumerate("bcdefghij"):
        previous = "abcdefghij"[index]
        bomb += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    problems = problems_of(bomb)
    assert problems == ["line 1, column 4: YAML anchors (&a) are not allowed in a referential"]


@pytest.mark.django_db
def test_it_refuses_an_alias_even_without_an_anchor_it_knows():
    problems = problems_of("code: *undefined\n")
    assert len(problems) == 1
    assert "line 1" in problems[0]


@pytest.mark.django_db
def test_it_refuses_non_utf8_text():
    source = MINIMAL.encode("latin-1")
    problems = problems_of(source)
    assert problems == [f"file: not UTF-8 text (byte 0xe9 at offset {source.index(b'\xe9')})"]
    assert ref.Referential.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_deep_nesting():
    problems = problems_of("a: " + "[" * 30 + "]" * 30 + "\n")
    assert problems == ["line 1, column 23: nesting deeper than 20 levels"]
    # Far deeper input is stopped by the parser itself, still as a located problem.
    problems = problems_of("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(problems) == 1
    assert problems[0].startswith("line 1, column ")


@pytest.mark.django_db
def test_it_refuses_an_oversized_source(settings):
    settings.REFERENTIAL_MAX_BYTES = 1000
    source = (MINIMAL + "#" * 1000).encode()
    problems = problems_of(source)
    assert problems == [f"file: {len(source)} bytes, more than the 1000 bytes a referential may have"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", referential_default_paths(), ids=lambda path: path.name)
def test_export_then_import_is_the_identity_on_the_default_files(path, tmp_path):
    first = referential_import(source=path.read_bytes()).referential
    document = referential_document(first)
    exported = referential_export(referential=first)
    # Load the export into an empty database: the same content comes back, and exports the same.
    ref.Referential.objects.all().delete()
    second = referential_import(source=exported).referential
    assert referential_document(second) == document
    assert referential_export(referential=second) == exported
    assert second.content_hash == first.content_hash
    # Exported over the loaded original, it is recognised as the same content.
    assert referential_import(source=path.read_bytes()).outcome == "unchanged"


@pytest.mark.django_db
def test_the_default_referentials_load_once():
    results = load_default_referentials()
    assert [r.outcome for r in results] == ["created", "created"]
    assert results[0].summary == (
        "created referential doctrine-2019: 12 axes, 10 blocker categories, 27 service types, "
        "14 product categories"
    )
    before = row_counts()
    assert [r.outcome for r in load_default_referentials()] == ["unchanged", "unchanged"]
    assert row_counts() == before


@pytest.mark.django_db
def test_the_export_command_writes_a_file_that_loads_back(tmp_path, capsys):
    load_default_referentials()
    target = tmp_path / "out.yaml"
    call_command("export_referential", "doctrine-2023", "-o", str(target))
    call_command("import_referential", str(target))
    assert capsys.readouterr().out.strip() == "unchanged referential doctrine-2023"
