"""A small world for assessment tests: a referential, a vendor with a product, a region with a
service, the agency, an open campaign, and one draft assessment per subject."""

import datetime
from dataclasses import dataclass

import pytest

from convergence.assessments.models import Assessment, Campaign
from convergence.organisations.models import Organisation, User
from convergence.referential.models import Referential, ScaleLevel
from tests import factories as f

FUTURE = datetime.date.today() + datetime.timedelta(days=365)
LATER = datetime.date.today() + datetime.timedelta(days=730)


@dataclass
class World:
    referential: Referential
    axes: list
    campaign: Campaign
    vendor: Organisation
    vendor_user: User
    other_vendor: Organisation
    other_user: User
    grades: Organisation
    grades_user: User
    agency: Organisation
    analyst: User
    product_assessment: Assessment
    service_assessment: Assessment
    other_assessment: Assessment


def build_world(axis_count: int = 3, prefix: str = "") -> World:
    referential = f.ReferentialFactory(code=f"ref-{axis_count}")
    for value, label in enumerate(["Non engagé", "Planifié", "Conforme", "En usage"]):
        ScaleLevel.objects.create(referential=referential, value=value, label=label)
    axes = [
        f.AxisFactory(referential=referential, code=f"AX{i:02d}", group="Socles" if i % 2 else "Services")
        for i in range(axis_count)
    ]
    axes.sort(key=lambda a: a.position)
    for axis in axes:
        for value in range(4):
            axis.levels.create(value=value, descriptor=f"{axis.code} niveau {value}")
    category = f.ProductCategoryFactory(referential=referential, code="dpi")
    family = f.ServiceFamilyFactory(referential=referential)
    service_type = f.ServiceTypeFactory(family=family, referential=referential, code="ror")
    for i, axis in enumerate(axes):
        f.ExpectationFactory(axis=axis, referential=referential, product_category=category, expected_level=2)
        if i < 2:
            f.ExpectationFactory(
                axis=axis, referential=referential, service_type=service_type, expected_level=3
            )
    f.BlockerCategoryFactory(referential=referential, code="calendrier-national", name="Calendrier national")
    f.BlockerCategoryFactory(referential=referential, code="visibilite", name="Visibilité")
    campaign = f.CampaignFactory(
        referential=referential,
        code=prefix + "2026-s1",
        opens_on=datetime.date(2026, 1, 1),
        closes_on=datetime.date(2026, 12, 31),
    )

    vendor = f.OrganisationFactory(code=prefix + "acme", name="ACME Santé")
    vendor_user = f.MembershipFactory(
        organisation=vendor, user=f.UserFactory(username=prefix + "vendor")
    ).user
    other_vendor = f.OrganisationFactory(code=prefix + "other", name="Other Soft")
    other_user = f.MembershipFactory(
        organisation=other_vendor, user=f.UserFactory(username=prefix + "othervendor")
    ).user
    grades = f.OrganisationFactory(grades=True, code=prefix + "grades-occ", name="e-santé Occitanie")
    grades_user = f.MembershipFactory(
        organisation=grades, user=f.UserFactory(username=prefix + "grades")
    ).user
    agency = f.OrganisationFactory(agency=True, code=prefix + "ans", name="Agence")
    analyst = f.MembershipFactory(organisation=agency, user=f.UserFactory(username=prefix + "analyst")).user

    product = f.SubjectFactory(
        organisation=vendor, name="ACME DPI", code=prefix + "acme-dpi", type_or_category="dpi"
    )
    service = f.SubjectFactory(
        organisation=grades,
        kind="service",
        name="ROR Occitanie",
        code=prefix + "occ-ror",
        type_or_category="ror",
        region="76",
    )
    other_product = f.SubjectFactory(organisation=other_vendor, name="Other DPI", code=prefix + "other-dpi")
    return World(
        referential=referential,
        axes=axes,
        campaign=campaign,
        vendor=vendor,
        vendor_user=vendor_user,
        other_vendor=other_vendor,
        other_user=other_user,
        grades=grades,
        grades_user=grades_user,
        agency=agency,
        analyst=analyst,
        product_assessment=f.AssessmentFactory(campaign=campaign, subject=product),
        service_assessment=f.AssessmentFactory(campaign=campaign, subject=service),
        other_assessment=f.AssessmentFactory(campaign=campaign, subject=other_product),
    )


@pytest.fixture
def world(db) -> World:
    return build_world()
