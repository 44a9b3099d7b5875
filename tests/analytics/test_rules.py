"""Who may read which figures and publish: the analytics permissions, on the acting organisation."""

import pytest

from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_national_figures_and_publication_are_the_agency_acting_for_itself():
    agency, vendor = OrganisationFactory(agency=True), OrganisationFactory()
    analyst = MembershipFactory(organisation=agency, role="analyste").user
    MembershipFactory(organisation=vendor, user=analyst, role="salarie")
    assert analyst.has_perm("analytics.view_campaign_report", agency)
    assert analyst.has_perm("analytics.publish_report", agency)
    # The same person acting for the vendor reads the vendor's pages only.
    assert not analyst.has_perm("analytics.view_campaign_report", vendor)
    assert not analyst.has_perm("analytics.publish_report", vendor)
    assert analyst.has_perm("analytics.view_benchmark", vendor)


def test_a_region_reads_its_dashboard_and_a_vendor_its_benchmark_only():
    region, vendor = OrganisationFactory(ars=True), OrganisationFactory()
    contributor = MembershipFactory(organisation=region, role="contributeur").user
    employee = MembershipFactory(organisation=vendor, role="salarie").user
    assert contributor.has_perm("analytics.view_regional_dashboard", region)
    assert not contributor.has_perm("analytics.view_benchmark", region)
    assert not contributor.has_perm("analytics.view_campaign_report", region)
    assert employee.has_perm("analytics.view_benchmark", vendor)
    assert not employee.has_perm("analytics.view_regional_dashboard", vendor)
    # Another organisation's page is not theirs to read.
    assert not employee.has_perm("analytics.view_regional_dashboard", region)
    assert not contributor.has_perm("analytics.view_benchmark", vendor)


def test_no_regional_or_vendor_manager_publishes_or_reads_national_figures():
    region, vendor = OrganisationFactory(grades=True), OrganisationFactory()
    for organisation, role in ((region, "administrateur"), (vendor, "mandataire")):
        manager = MembershipFactory(organisation=organisation, role=role).user
        assert not manager.has_perm("analytics.publish_report", organisation)
        assert not manager.has_perm("analytics.view_campaign_report", organisation)
