"""factory_boy factories shared by the whole suite. Add new ones here, per model."""

import datetime

import factory
from factory.django import DjangoModelFactory

from convergence.assessments import models as assessment_models
from convergence.catalog.models import Subject
from convergence.organisations.models import Membership, Organisation, User
from convergence.referential import models as ref


class ReferentialFactory(DjangoModelFactory):
    class Meta:
        model = ref.Referential
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ref-{n}")
    title = factory.LazyAttribute(lambda o: f"Référentiel {o.code}")
    status = "published"
    published_on = datetime.date(2020, 1, 15)


class AxisFactory(DjangoModelFactory):
    class Meta:
        model = ref.Axis

    referential = factory.SubFactory(ReferentialFactory)
    code = factory.Sequence(lambda n: f"AX{n}")
    name = factory.LazyAttribute(lambda o: f"Axe {o.code}")
    position = factory.Sequence(int)


class BlockerCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ref.BlockerCategory

    referential = factory.SubFactory(ReferentialFactory)
    code = factory.Sequence(lambda n: f"blocker-{n}")
    name = factory.LazyAttribute(lambda o: f"Frein {o.code}")
    position = factory.Sequence(int)


class ServiceFamilyFactory(DjangoModelFactory):
    class Meta:
        model = ref.ServiceFamily

    referential = factory.SubFactory(ReferentialFactory)
    code = factory.Sequence(lambda n: f"family-{n}")
    name = factory.LazyAttribute(lambda o: f"Famille {o.code}")
    position = factory.Sequence(int)


class ServiceTypeFactory(DjangoModelFactory):
    class Meta:
        model = ref.ServiceType

    family = factory.SubFactory(ServiceFamilyFactory)
    referential = factory.SelfAttribute("family.referential")
    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.LazyAttribute(lambda o: f"Type {o.code}")
    common_core = True
    position = factory.Sequence(int)


class ProductCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ref.ProductCategory

    referential = factory.SubFactory(ReferentialFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: f"Catégorie {o.code}")
    position = factory.Sequence(int)


class ExpectationFactory(DjangoModelFactory):
    class Meta:
        model = ref.Expectation

    axis = factory.SubFactory(AxisFactory)
    referential = factory.SelfAttribute("axis.referential")
    expected_level = 2


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.code}")
    kind = "vendor"
    siren = "732829320"
    region = ""

    class Params:
        grades = factory.Trait(kind="grades", region="76", siren="")
        ars = factory.Trait(kind="ars", region="76", siren="")
        agency = factory.Trait(kind="agency", siren="")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = factory.LazyAttribute(
        lambda o: {"vendor": "salarie", "agency": "analyste"}.get(o.organisation.kind, "contributeur")
    )


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject

    code = factory.Sequence(lambda n: f"subject-{n}")
    kind = "product"
    name = factory.LazyAttribute(lambda o: f"Produit {o.code}")
    organisation = factory.SubFactory(OrganisationFactory)
    type_or_category = "dpi"
    status = "active"


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = assessment_models.Campaign
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.LazyAttribute(lambda o: f"Campagne {o.code}")
    referential = factory.SubFactory(ReferentialFactory)
    scope = "both"
    opens_on = datetime.date(2020, 9, 1)
    closes_on = datetime.date(2020, 12, 15)
    status = "open"


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = assessment_models.Assessment

    campaign = factory.SubFactory(CampaignFactory)
    subject = factory.SubFactory(SubjectFactory)
    status = "draft"


class AnswerFactory(DjangoModelFactory):
    class Meta:
        model = assessment_models.Answer

    assessment = factory.SubFactory(AssessmentFactory)
    axis = factory.SubFactory(AxisFactory)
    level = 2


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = assessment_models.Milestone

    answer = factory.SubFactory(AnswerFactory)
    level = 3
    due_on = datetime.date(2021, 12, 31)
