"""A small world for referencing: the assessments' world (referential `ref-3`, axes AX00-AX02,
category `dpi`), the product's assessment validated with evidence on AX00, a published
programme, a vendor account manager and a commission member of the agency."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from convergence.assessments.models import Answer, Evidence
from convergence.referencing import services
from convergence.referencing.models import Programme
from tests import factories as f
from tests.assessments.conftest import World as AssessmentWorld
from tests.assessments.conftest import build_world

TODAY = datetime.date(2026, 3, 2)

PROGRAMME_YAML = """
code: segur-dpi
title: Ségur numérique — DPI
referential: ref-3
scope: products
eligible: [dpi]
opens_on: 2026-01-01
closes_on: 2026-06-30
validity_months: 36
charter: Je m'engage à maintenir la conformité.
questions:
  - {code: mes, text: "Échange-t-il avec Mon espace santé ?"}
requirements:
  - code: socle
    title: Socle
    minimum_levels: {AX00: 2, AX01: 2}
    evidence_on: [AX00]
  - code: mes
    title: Mon espace santé
    minimum_levels: {AX02: 3}
    applies_if: {question: mes, answer: true}
  - code: charte
    title: Charte
    charter: true
"""


@dataclass
class World:
    base: AssessmentWorld
    programme: Programme
    manager: object  # the vendor's mandataire
    other_manager: object
    commission_member: object

    def __getattr__(self, name):
        return getattr(self.base, name)


def validate(assessment, levels: dict[str, int], evidence_on=("AX00",)) -> None:
    for axis in assessment.campaign.referential.axes.all():
        answer = Answer.objects.create(assessment=assessment, axis=axis, level=levels.get(axis.code, 2))
        if axis.code in evidence_on:
            Evidence.objects.create(
                answer=answer,
                file=SimpleUploadedFile("preuve.pdf", b"%PDF-1.4\n%%EOF\n"),
                original_name="preuve.pdf",
                content_type="application/pdf",
                size=15,
            )
    assessment.status = "validated"
    assessment.save()


def build(yaml_source: str = PROGRAMME_YAML) -> World:
    base = build_world()
    validate(base.product_assessment, {"AX00": 2, "AX01": 2, "AX02": 1})
    programme = services.programme_import(actor=None, organisation=None, source=yaml_source).programme
    services.programme_publish(actor=None, organisation=None, programme=programme)
    programme.refresh_from_db()
    manager = f.MembershipFactory(
        organisation=base.vendor, user=f.UserFactory(username="mandataire"), role="mandataire"
    ).user
    other_manager = f.MembershipFactory(
        organisation=base.other_vendor, user=f.UserFactory(username="othermanager"), role="mandataire"
    ).user
    member = f.MembershipFactory(organisation=base.agency, user=f.UserFactory(username="commission")).user
    return World(
        base=base, programme=programme, manager=manager, other_manager=other_manager, commission_member=member
    )


@pytest.fixture
def world(db) -> World:
    return build()
