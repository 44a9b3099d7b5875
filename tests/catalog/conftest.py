import datetime

import pytest

from tests import factories as f


@pytest.fixture
def referential(db):
    """A published edition with one service type and two product categories."""
    referential = f.ReferentialFactory(code="doctrine-test", published_on=datetime.date(2023, 6, 1))
    f.ServiceTypeFactory(referential=referential, family__referential=referential, code="teleconsultation")
    f.ProductCategoryFactory(referential=referential, code="dpi")
    f.ProductCategoryFactory(referential=referential, code="lgc")
    return referential


@pytest.fixture
def vendor_member(db):
    return f.MembershipFactory(organisation__kind="vendor", organisation__code="acme")


@pytest.fixture
def other_vendor_member(db):
    return f.MembershipFactory(organisation__kind="vendor", organisation__code="globex")


@pytest.fixture
def grades_member(db):
    return f.MembershipFactory(organisation=f.OrganisationFactory(grades=True, code="grades-occ"))


@pytest.fixture
def agency_member(db):
    return f.MembershipFactory(organisation=f.OrganisationFactory(agency=True, code="ans"))
