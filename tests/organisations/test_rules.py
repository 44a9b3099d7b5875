"""The permission predicates of `convergence.organisations.rules`, role by role."""

import pytest

from convergence.organisations.rules import assignable_roles
from tests.factories import (
    AssessmentFactory,
    MembershipFactory,
    OrganisationFactory,
    ReferentialFactory,
    SubjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def member(organisation, role=None):
    kwargs = {"organisation": organisation}
    if role:
        kwargs["role"] = role
    return MembershipFactory(**kwargs).user


def test_a_salarie_changes_their_organisations_products_but_not_another_organisations():
    vendor, other = OrganisationFactory(), OrganisationFactory()
    salarie = member(vendor, "salarie")
    own, foreign = SubjectFactory(organisation=vendor), SubjectFactory(organisation=other)
    assert salarie.has_perm("catalog.change_subject", own)
    assert salarie.has_perm("assessments.change_assessment", AssessmentFactory(subject=own))
    assert not salarie.has_perm("catalog.change_subject", foreign)
    assert not salarie.has_perm("catalog.view_subject", foreign)
    assert not salarie.has_perm("assessments.submit_assessment", AssessmentFactory(subject=foreign))
    assert not salarie.has_perm("catalog.delete_subject", own)


def test_only_account_managers_manage_members():
    vendor = OrganisationFactory()
    assert member(vendor, "mandataire").has_perm("organisations.manage_members", vendor)
    assert member(vendor, "representant").has_perm("organisations.manage_members", vendor)
    assert not member(vendor, "salarie").has_perm("organisations.manage_members", vendor)
    region = OrganisationFactory(ars=True)
    assert member(region, "administrateur").has_perm("organisations.manage_members", region)
    assert not member(region, "contributeur").has_perm("organisations.manage_members", region)


def test_a_representant_cannot_touch_the_mandataire_nor_grant_that_role():
    vendor = OrganisationFactory()
    representant = member(vendor, "representant")
    mandataire = MembershipFactory(organisation=vendor, role="mandataire")
    salarie = MembershipFactory(organisation=vendor, role="salarie")
    assert not representant.has_perm("organisations.change_membership", mandataire)
    assert not representant.has_perm("organisations.remove_membership", mandataire)
    assert representant.has_perm("organisations.change_membership", salarie)
    assert assignable_roles(representant, vendor) == ["representant", "salarie"]
    assert mandataire.user.has_perm(
        "organisations.change_membership", MembershipFactory(organisation=vendor, role="representant")
    )


def test_anyone_may_act_on_their_own_membership_but_the_service_refuses_raising_it():
    from django.core.exceptions import PermissionDenied

    from convergence.organisations import services

    vendor = OrganisationFactory()
    own = MembershipFactory(organisation=vendor, role="representant")
    MembershipFactory(organisation=vendor, role="mandataire")
    assert own.user.has_perm("organisations.change_membership", own)
    assert own.user.has_perm("organisations.remove_membership", own)
    with pytest.raises(PermissionDenied, match="own role"):
        services.membership_change_role(actor=own.user, membership=own, role="mandataire")
    own.refresh_from_db()
    assert own.role == "representant"


def test_agency_analysts_review_and_change_referentials_but_vendors_do_not():
    agency = OrganisationFactory(agency=True)
    analyst = member(agency, "analyste")
    assessment = AssessmentFactory()
    referential = ReferentialFactory(status="draft")
    assert analyst.has_perm("assessments.review_assessment", agency)
    assert analyst.has_perm("referential.change_referential", referential)
    assert analyst.has_perm("analytics.view_campaign_report", agency)
    assert analyst.has_perm("catalog.view_subject", assessment.subject)
    assert not analyst.has_perm("catalog.change_subject", assessment.subject)
    vendor_user = member(assessment.subject.organisation, "mandataire")
    assert not vendor_user.has_perm("assessments.review_assessment", assessment.subject.organisation)
    assert not vendor_user.has_perm("referential.change_referential", referential)
    assert not vendor_user.has_perm("referential.view_referential", referential)
    assert not vendor_user.has_perm("analytics.view_campaign_report", assessment.subject.organisation)


def test_a_region_reads_the_services_of_its_region_only():
    ars = OrganisationFactory(ars=True)  # region 76
    reader = member(ars)
    grades = OrganisationFactory(grades=True)
    in_region = SubjectFactory(organisation=grades, kind="service", region="76")
    elsewhere = SubjectFactory(
        organisation=OrganisationFactory(grades=True, region="11"), kind="service", region="11"
    )
    assert reader.has_perm("catalog.view_subject", in_region)
    assert not reader.has_perm("catalog.change_subject", in_region)
    assert not reader.has_perm("catalog.view_subject", elsewhere)


def test_a_role_change_is_seen_by_the_next_check_despite_the_cache():
    vendor = OrganisationFactory()
    membership = MembershipFactory(organisation=vendor, role="salarie")
    user = membership.user
    assert not user.has_perm("organisations.manage_members", vendor)
    membership.role = "mandataire"
    membership.save()
    assert user.has_perm("organisations.manage_members", vendor)


def test_anonymous_users_have_no_permission():
    from django.contrib.auth.models import AnonymousUser

    vendor = OrganisationFactory()
    assert not AnonymousUser().has_perm("organisations.view_organisation", vendor)
    assert not UserFactory().has_perm("organisations.view_organisation", vendor)


def test_checking_permissions_on_many_rows_costs_one_membership_query(django_assert_max_num_queries):
    vendor = OrganisationFactory()
    user = member(vendor)
    subjects = [SubjectFactory(organisation=vendor) for _ in range(10)]
    with django_assert_max_num_queries(1):
        assert all(user.has_perm("catalog.change_subject", s) for s in subjects)


# One case per permission of organisations/, catalog/ and referential/, for every role.

ROLES = [
    "vendor_employee",
    "vendor_manager",
    "regional_contributor",
    "regional_manager",
    "agency_analyst",
    "agency_administrator",
    "other_vendor_manager",
    "anonymous",
]


@pytest.fixture
def world():
    from django.contrib.auth.models import AnonymousUser

    from convergence.referential.models import ConsultationComment

    vendor = OrganisationFactory(code="acme")
    other_vendor = OrganisationFactory(code="globex")
    region = OrganisationFactory(ars=True, code="ars-occ")
    agency = OrganisationFactory(agency=True, code="ans")
    users = {
        "vendor_employee": member(vendor, "salarie"),
        "vendor_manager": member(vendor, "mandataire"),
        "regional_contributor": member(region, "contributeur"),
        "regional_manager": member(region, "administrateur"),
        "agency_analyst": member(agency, "analyste"),
        "agency_administrator": member(agency, "administrateur"),
        "other_vendor_manager": member(other_vendor, "mandataire"),
        "anonymous": AnonymousUser(),
    }
    product = SubjectFactory(organisation=vendor)
    service = SubjectFactory(organisation=region, kind="service", region=region.region)
    employee_membership = users["vendor_employee"].memberships.get()
    return {
        "users": users,
        "vendor": vendor,
        "region": region,
        "agency": agency,
        "product": product,
        "service": service,
        "employee_membership": employee_membership,
        "draft": ReferentialFactory(status="draft"),
        "published": ReferentialFactory(status="published"),
        "comment": ConsultationComment(author=users["vendor_employee"], organisation=vendor),
    }


# (permission, object in `world`, roles that have it); every other role must not.
EXPECTED = [
    (
        "organisations.view_organisation",
        "vendor",
        {"vendor_employee", "vendor_manager", "agency_analyst", "agency_administrator"},
    ),
    ("organisations.list_organisations", "agency", {"agency_analyst", "agency_administrator"}),
    ("organisations.list_organisations", "vendor", set()),
    ("organisations.add_organisation", None, {"agency_analyst", "agency_administrator"}),
    ("organisations.change_organisation", "vendor", {"vendor_manager"}),
    ("organisations.change_organisation", "region", {"regional_manager"}),
    ("organisations.manage_members", "vendor", {"vendor_manager"}),
    ("organisations.change_membership", "employee_membership", {"vendor_employee", "vendor_manager"}),
    ("organisations.remove_membership", "employee_membership", {"vendor_employee", "vendor_manager"}),
    ("organisations.view_audit_log", "vendor", {"vendor_manager"}),
    ("organisations.view_audit_log", "agency", {"agency_analyst", "agency_administrator"}),
    ("organisations.view_security_events", "agency", {"agency_analyst", "agency_administrator"}),
    ("organisations.view_security_events", "vendor", set()),
    (
        "catalog.view_subject",
        "product",
        {"vendor_employee", "vendor_manager", "agency_analyst", "agency_administrator"},
    ),
    (
        "catalog.view_subject",
        "service",
        {"regional_contributor", "regional_manager", "agency_analyst", "agency_administrator"},
    ),
    ("catalog.add_subject", "vendor", {"vendor_employee", "vendor_manager"}),
    ("catalog.add_subject", "agency", set()),
    ("catalog.change_subject", "product", {"vendor_employee", "vendor_manager"}),
    ("catalog.change_subject", "service", {"regional_contributor", "regional_manager"}),
    ("catalog.delete_subject", "product", {"vendor_manager"}),
    ("catalog.delete_subject", "service", {"regional_manager"}),
    ("referential.view_referential", "published", set(ROLES)),
    ("referential.view_referential", "draft", {"agency_analyst", "agency_administrator"}),
    ("referential.change_referential", "draft", {"agency_analyst", "agency_administrator"}),
    ("referential.comment_consultation", "vendor", {"vendor_employee", "vendor_manager"}),
    ("referential.comment_consultation", "region", {"regional_contributor", "regional_manager"}),
    ("referential.comment_consultation", "agency", set()),
    ("referential.change_consultation_comment", "comment", {"vendor_employee"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("perm", "target", "allowed"), EXPECTED, ids=[f"{p}-{t}" for p, t, _a in EXPECTED])
def test_each_permission_is_granted_to_exactly_its_roles(world, perm, target, allowed, role):
    obj = world[target] if target else None
    assert world["users"][role].has_perm(perm, obj) is (role in allowed)


def test_a_member_of_the_agency_and_a_vendor_reads_agency_pages_only_acting_for_the_agency():
    vendor, agency = OrganisationFactory(), OrganisationFactory(agency=True)
    user = member(agency, "analyste")
    MembershipFactory(user=user, organisation=vendor, role="salarie")
    assert user.has_perm("organisations.view_security_events", agency)
    assert not user.has_perm("organisations.view_security_events", vendor)
    assert not user.has_perm("organisations.list_organisations", vendor)


def test_every_declared_permission_of_these_apps_has_a_case():
    import rules

    declared = {
        name
        for name in rules.permissions.permissions
        if name.split(".")[0] in {"organisations", "catalog", "referential"}
    }
    assert declared == {perm for perm, _target, _allowed in EXPECTED}
