"""Recommendations as data: per-axis, per-level actions, and the next steps they give a subject."""

import io

import openpyxl
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from convergence.referential import models as ref
from convergence.referential.schema import referential_document_parse
from convergence.referential.selectors import next_steps
from convergence.referential.services import (
    ReferentialFileError,
    referential_export,
    referential_import,
    referential_workbook_export,
    referential_workbook_import,
)

from .test_import import MINIMAL

pytestmark = pytest.mark.django_db

WITH_ACTIONS = MINIMAL.replace(
    "  - {code: INS, name: Identité}\n",
    """  - code: INS
    name: Identité
    actions:
      1: Planifier l'appel au téléservice INSi.
      2: Qualifier l'INS et la référencer.
      3: Généraliser.
    actions_en: {2: Qualify the INS and reference it.}
    action_links: {2: ["https://esante.gouv.fr/ins", "https://example.org/guide"]}
""",
).replace(
    "    levels: {0: rien, 1: un peu, 2: beaucoup, 3: tout}\n",
    "    levels: {0: rien, 1: un peu, 2: beaucoup, 3: tout}\n    actions: {3: Passer en production.}\n",
)
WITH_ACTIONS = WITH_ACTIONS.replace("expected: {INS: 2, MSS: null}", "expected: {INS: 3, MSS: 3}")


def test_actions_load_from_yaml_and_export_back_identically():
    referential = referential_import(source=WITH_ACTIONS).referential
    actions = ref.AxisAction.objects.filter(axis__referential=referential, axis__code="INS").order_by("value")
    assert [(a.value, a.text_en, a.links) for a in actions] == [
        (1, "", []),
        (2, "Qualify the INS and reference it.", ["https://esante.gouv.fr/ins", "https://example.org/guide"]),
        (3, "", []),
    ]
    text = referential_export(referential=referential)
    assert "    actions_en:\n      2: Qualify the INS and reference it.\n" in text
    assert "    action_links:\n      2:\n        - https://esante.gouv.fr/ins\n" in text
    referential.delete()
    again = referential_import(source=text).referential
    assert referential_export(referential=again) == text


def test_actions_round_trip_through_the_workbook_sheet():
    referential = referential_import(source=WITH_ACTIONS).referential
    data = referential_workbook_export(referential=referential)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["actions"]
    assert [c.value for c in sheet[1]] == ["axis", "level", "action", "action_en", "links"]
    assert [c.value for c in sheet[3]] == [
        "INS",
        2,
        "Qualifier l'INS et la référencer.",
        "Qualify the INS and reference it.",
        "https://esante.gouv.fr/ins\nhttps://example.org/guide",
    ]
    yaml_text = referential_export(referential=referential)
    referential.delete()
    referential_workbook_import(source=data)
    assert referential_export(referential=ref.Referential.objects.get(code="mini-1")) == yaml_text


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [
        (
            "actions: {0: Rien.}",
            "axes[0].actions.0: level 0: actions lead to a level of 1-3 (the scale is 0-3)",
        ),
        (
            'actions: {1: Un.}, action_links: {1: ["ftp://x"]}',
            'axes[0].action_links.1: invalid link "ftp://x": an http:// or https:// address without spaces, '
            "at most 500 characters",
        ),
        ("actions_en: {1: One.}", "axes[0].actions_en.1: English action given without the action (actions)"),
    ],
)
def test_bad_actions_are_refused_with_their_location(replacement, problem):
    source = MINIMAL.replace(
        "  - {code: INS, name: Identité}\n", f"  - {{code: INS, name: Identité, {replacement}}}\n"
    )
    with pytest.raises(ReferentialFileError) as caught:
        referential_import(source=source)
    assert caught.value.problems == [problem]


def test_the_shipped_editions_have_no_actions_and_keep_their_fingerprint():
    from convergence.referential.services import referential_default_paths

    for path in referential_default_paths():
        assert not any("actions" in axis for axis in referential_document_parse(path.read_bytes())["axes"])


def test_next_steps_are_ordered_by_gap_and_carry_the_actions_of_the_levels_to_reach(
    django_assert_max_num_queries,
):
    referential = referential_import(source=WITH_ACTIONS).referential
    with django_assert_max_num_queries(3):
        steps = next_steps(
            referential, kind="service", type_or_category="teleconsultation", levels={"MSS": 2}
        )
    # INS is not answered: from 0 to 3 (gap 3) comes before MSS, from 2 to 3 (gap 1).
    assert [(s.axis.code, s.current, s.expected, s.gap) for s in steps] == [
        ("INS", None, 3, 3),
        ("MSS", 2, 3, 1),
    ]
    assert [a.value for a in steps[0].actions] == [1, 2, 3]
    assert [a.text for a in steps[1].actions] == ["Passer en production."]

    steps = next_steps(
        referential, kind="service", type_or_category="teleconsultation", levels={"INS": 1, "MSS": 3}
    )
    assert [(s.axis.code, [a.value for a in s.actions]) for s in steps] == [("INS", [2, 3])]
    # Reached, not applicable, or no expected level: no step.
    assert (
        next_steps(
            referential, kind="service", type_or_category="teleconsultation", levels={"INS": 3, "MSS": 3}
        )
        == []
    )
    assert (
        next_steps(
            referential,
            kind="service",
            type_or_category="teleconsultation",
            levels={"MSS": 3},
            not_applicable={"INS"},
        )
        == []
    )
    assert [
        s.axis.code for s in next_steps(referential, kind="product", type_or_category="dpi", levels={})
    ] == ["INS"]


def test_the_include_shows_each_step_with_its_actions_and_links_in_the_active_language():
    referential = referential_import(source=WITH_ACTIONS).referential
    steps = next_steps(referential, kind="service", type_or_category="teleconsultation", levels={"INS": 1})
    with translation.override("en"):
        html = render_to_string("referential/_next_steps.html", {"next_steps": steps})
    assert "Next steps towards the expected levels" in html
    assert "1 → 3" in html
    assert "Qualify the INS and reference it." in html
    assert 'href="https://esante.gouv.fr/ins"' in html
    assert html.index('data-axis="MSS"') < html.index('data-axis="INS"')  # gap 3 before gap 2
    assert render_to_string("referential/_next_steps.html", {"next_steps": []}).strip() == ""


def test_the_questionnaire_and_the_fiche_show_the_next_steps_from_the_stored_levels(client):
    from tests import factories as f

    referential = referential_import(source=WITH_ACTIONS).referential
    region = f.OrganisationFactory(ars=True)
    user = f.UserFactory()
    f.MembershipFactory(user=user, organisation=region, role="contributeur")
    subject = f.SubjectFactory(
        organisation=region, kind="service", type_or_category="teleconsultation", region=region.region
    )
    assessment = f.AssessmentFactory(campaign=f.CampaignFactory(referential=referential), subject=subject)
    f.AnswerFactory(assessment=assessment, axis=referential.axes.get(code="MSS"), level=2)
    client.force_login(user)
    for url in (f"/evaluations/{assessment.pk}/", f"/evaluations/{assessment.pk}/fiche/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        steps = html[html.index('id="next-steps-title"') :]
        # INS (not answered, 0 → 3) before MSS (2 → 3), each with the actions of its levels.
        assert steps.index('data-axis="INS"') < steps.index('data-axis="MSS"'), url
        assert "Planifier l&#x27;appel au téléservice INSi." in steps, url
        assert "Passer en production." in steps, url
