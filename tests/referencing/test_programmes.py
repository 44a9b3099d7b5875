"""Programmes as data: YAML import (versioned), export, publication, pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from convergence.referencing import services
from convergence.referencing.models import Programme

from .conftest import PROGRAMME_YAML


def test_the_import_creates_the_programme_with_its_questions_and_requirements(world):
    programme = world.programme
    assert (programme.code, programme.version, programme.status) == ("segur-dpi", 1, "published")
    assert list(programme.questions.values_list("code", flat=True)) == ["mes"]
    mes = programme.requirements.get(code="mes")
    assert mes.minimum_levels == {"AX02": 3} and mes.applies_if_question == "mes" and mes.applies_if_answer


def test_the_same_file_changes_nothing_and_a_changed_one_makes_a_new_version(world):
    again = services.programme_import(actor=None, organisation=None, source=PROGRAMME_YAML)
    assert not again.created and again.programme == world.programme
    changed = services.programme_import(
        actor=None,
        organisation=None,
        source=PROGRAMME_YAML.replace("validity_months: 36", "validity_months: 24"),
    )
    assert changed.created and changed.programme.version == 2 and changed.programme.status == "draft"
    services.programme_publish(actor=None, organisation=None, programme=changed.programme)
    world.programme.refresh_from_db()
    assert world.programme.status == "archived"


def test_the_export_imports_back_to_the_same_content(world):
    exported = services.programme_export(world.programme)
    assert "minimum_levels:" in exported and "applies_if:" in exported
    assert not services.programme_import(actor=None, organisation=None, source=exported).created


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("AX02: 3", "AX99: 3"), "requirements[1].minimum_levels.AX99"),
        (("eligible: [dpi]", "eligible: [radio]"), "eligible[0]"),
        (("question: mes, answer", "question: nope, answer"), "requirements[1].applies_if.question"),
        (("opens_on: 2026-01-01", "opens_on: 2026-13-01"), "file: invalid value (month must be in 1..12)"),
        (("opens_on: 2026-01-01", "opens_on: soon"), "opens_on"),
        (("AX02: 3", "AX02: 7"), "requirements[1].minimum_levels.AX02"),
        (("referential: ref-3", "referential: unknown"), "referential"),
        (("validity_months: 36", "validity_months: 36\nsurprise: 1"), "surprise"),
    ],
)
def test_a_bad_file_is_refused_with_located_problems_and_nothing_written(world, change, where):
    with pytest.raises(ValidationError) as refused:
        services.programme_import(actor=None, organisation=None, source=PROGRAMME_YAML.replace(*change))
    messages = refused.value.message_dict["file"]
    assert any(message.startswith(where) for message in messages), messages
    assert Programme.objects.count() == 1


def test_only_the_agency_manages_programmes(world):
    with pytest.raises(PermissionDenied):
        services.programme_import(actor=world.manager, organisation=world.vendor, source=PROGRAMME_YAML)
    with pytest.raises(PermissionDenied):  # an agency analyst acting for a vendor
        services.programme_publish(actor=world.analyst, organisation=world.vendor, programme=world.programme)


def test_the_import_page_shows_the_problems_and_creates_the_draft(client, world):
    client.force_login(world.analyst)
    bad = client.post(
        reverse("referencing:programme_import"), {"source": PROGRAMME_YAML.replace("AX02: 3", "AX99: 3")}
    )
    assert bad.status_code == 422 and "requirements[1].minimum_levels.AX99" in bad.content.decode()
    good = client.post(
        reverse("referencing:programme_import"),
        {"source": PROGRAMME_YAML.replace("code: segur-dpi", "code: mes-2026")},
    )
    programme = Programme.objects.get(code="mes-2026")
    assert good.status_code == 302 and good["Location"] == reverse(
        "referencing:programme", args=[programme.pk]
    )
    client.force_login(world.vendor_user)
    assert client.get(reverse("referencing:programme", args=[programme.pk])).status_code == 404  # a draft
    page = client.get(reverse("referencing:programme", args=[world.programme.pk])).content.decode()
    assert "AX00 ≥ 2" in page and "Mon espace santé" in page
    assert client.get(reverse("referencing:programme_import")).status_code == 403


def test_the_yaml_download_is_the_export(client, world):
    client.force_login(world.vendor_user)
    response = client.get(reverse("referencing:programme_export", args=[world.programme.pk]))
    assert response.content.decode() == services.programme_export(world.programme)
