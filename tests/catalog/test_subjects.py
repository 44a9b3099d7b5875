"""Declaring, changing, retiring and listing products and regional services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convergence.catalog import services
from convergence.catalog.models import Subject
from tests import factories as f


def member_of(organisation):
    """A member of the organisation (its first, or a new one with the kind's default role)."""
    membership = organisation.memberships.first() or f.MembershipFactory(organisation=organisation)
    return membership.user


def manager_of(organisation):
    role = "mandataire" if organisation.kind == "vendor" else "administrateur"
    return f.MembershipFactory(organisation=organisation, role=role).user


def test_a_vendor_declares_a_product_with_a_generated_code(referential, vendor_member):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="ACME DPI",
        version="5.2",
        type_or_category="dpi",
    )
    assert subject.kind == "product"
    assert subject.code == "acme-acme-dpi-52"
    assert subject.region == ""


def test_a_grades_declares_a_service_in_its_own_region(referential, grades_member):
    subject = services.subject_create(
        actor=member_of(grades_member.organisation),
        organisation=grades_member.organisation,
        name="Télécons Occitanie",
        type_or_category="teleconsultation",
    )
    assert subject.kind == "service"
    assert subject.region == "76"


def test_it_rejects_a_category_unknown_to_the_current_referential_and_names_the_known_ones(
    referential, vendor_member
):
    with pytest.raises(ValidationError) as caught:
        services.subject_create(
            actor=member_of(vendor_member.organisation),
            organisation=vendor_member.organisation,
            name="X",
            type_or_category="telecon",
        )
    message = str(caught.value.error_dict["type_or_category"])
    assert '"telecon"' in message and "dpi, lgc" in message
    assert not Subject.objects.exists()


def test_a_service_type_is_not_a_product_category(referential, vendor_member):
    with pytest.raises(ValidationError):
        services.subject_create(
            actor=member_of(vendor_member.organisation),
            organisation=vendor_member.organisation,
            name="X",
            type_or_category="teleconsultation",
        )


def test_the_agency_declares_nothing(referential, agency_member):
    with pytest.raises(PermissionDenied):
        services.subject_create(
            actor=member_of(agency_member.organisation),
            organisation=agency_member.organisation,
            name="X",
            type_or_category="dpi",
        )


def test_retiring_keeps_the_subject_and_its_history(referential, vendor_member):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="X",
        type_or_category="dpi",
    )
    services.subject_retire(actor=manager_of(subject.organisation), subject=subject)
    subject.refresh_from_db()
    assert subject.status == "retired"
    assert subject.history.count() == 2


def test_a_platform_variant_copies_the_declaration(referential, vendor_member):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="Mon appli",
        version="2",
        type_or_category="lgc",
        product_reference="REF-1",
    )
    variant = services.subject_duplicate_as_variant(
        actor=member_of(subject.organisation), subject=subject, platform="iOS Mobile"
    )
    assert variant.pk != subject.pk
    assert variant.name == "Mon appli iOS Mobile"
    assert (variant.type_or_category, variant.version, variant.product_reference) == ("lgc", "2", "REF-1")
    with pytest.raises(ValidationError):
        services.subject_duplicate_as_variant(
            actor=member_of(subject.organisation), subject=subject, platform="iOS Mobile"
        )


# Pages


def test_the_create_page_declares_a_product_and_shows_it(client, referential, vendor_member):
    client.force_login(vendor_member.user)
    response = client.post(
        reverse("catalog:create"),
        {"name": "ACME DPI", "type_or_category": "dpi", "status": "active", "version": "5"},
    )
    subject = Subject.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:detail", args=[subject.pk])
    page = client.get(response["Location"]).content.decode()
    assert "ACME DPI" in page and "Change history" in page


def test_the_create_page_says_what_is_wrong(client, referential, vendor_member):
    client.force_login(vendor_member.user)
    response = client.post(
        reverse("catalog:create"), {"name": "", "type_or_category": "nope", "status": "active"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "type_or_category" in errors
    assert "fr-alert--error" in response.content.decode()
    assert not Subject.objects.exists()


def test_a_duplicate_code_is_reported_on_the_code_field(client, referential, vendor_member):
    f.SubjectFactory(code="taken")
    client.force_login(vendor_member.user)
    response = client.post(
        reverse("catalog:create"),
        {"name": "X", "code": "taken", "type_or_category": "dpi", "status": "active"},
    )
    assert "code" in response.context["form"].errors


def test_editing_records_the_change_in_the_history(client, referential, vendor_member):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="X",
        type_or_category="dpi",
    )
    client.force_login(vendor_member.user)
    response = client.post(
        reverse("catalog:edit", args=[subject.pk]),
        {"name": "X2", "code": subject.code, "type_or_category": "lgc", "status": "deploying"},
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    assert (subject.name, subject.type_or_category, subject.status) == ("X2", "lgc", "deploying")
    page = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert "dpi → lgc" in page


def test_the_variant_page_declares_a_variant(client, referential, vendor_member):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="App",
        type_or_category="dpi",
    )
    client.force_login(vendor_member.user)
    response = client.post(reverse("catalog:duplicate", args=[subject.pk]), {"platform": "Site Web"})
    assert response.status_code == 302
    assert Subject.objects.filter(name="App Site Web", organisation=vendor_member.organisation).exists()


@pytest.mark.parametrize(
    ("url_name", "method", "data"),
    [
        ("catalog:detail", "get", None),
        ("catalog:edit", "get", None),
        (
            "catalog:edit",
            "post",
            {"name": "Hacked", "code": "hacked", "type_or_category": "dpi", "status": "active"},
        ),
        ("catalog:retire", "post", {}),
        ("catalog:duplicate", "post", {"platform": "iOS"}),
    ],
)
def test_another_organisations_subject_is_a_404_and_stays_unchanged(
    client, referential, vendor_member, other_vendor_member, url_name, method, data
):
    theirs = services.subject_create(
        actor=member_of(other_vendor_member.organisation),
        organisation=other_vendor_member.organisation,
        name="Theirs",
        type_or_category="dpi",
    )
    client.force_login(vendor_member.user)
    response = getattr(client, method)(reverse(url_name, args=[theirs.pk]), data)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status, theirs.code) == ("Theirs", "active", "globex-theirs")
    assert Subject.objects.count() == 1


def test_a_region_reads_but_does_not_edit_the_ars_services_of_its_region(client, referential, grades_member):
    ars = f.OrganisationFactory(ars=True, code="ars-occ")
    service = services.subject_create(
        actor=member_of(ars), organisation=ars, name="ROR", type_or_category="teleconsultation"
    )
    client.force_login(grades_member.user)
    assert client.get(reverse("catalog:detail", args=[service.pk])).status_code == 200
    assert client.post(reverse("catalog:retire", args=[service.pk])).status_code == 404
    service.refresh_from_db()
    assert service.status == "active"


def test_anonymous_visitors_are_sent_to_the_login_page(client, referential):
    response = client.get(reverse("catalog:list"))
    assert response.status_code == 302
    assert "/comptes/" in response["Location"]


# List: visibility, search, filters, sorting, pagination, query count


@pytest.fixture
def catalogue(referential, vendor_member, other_vendor_member, grades_member):
    mine = [
        services.subject_create(
            actor=member_of(vendor_member.organisation),
            organisation=vendor_member.organisation,
            name=f"Produit {n:02d}",
            type_or_category="dpi" if n % 2 else "lgc",
            status="retired" if n % 5 == 0 else "active",
        )
        for n in range(30)
    ]
    services.subject_create(
        actor=member_of(other_vendor_member.organisation),
        organisation=other_vendor_member.organisation,
        name="Secret",
        type_or_category="dpi",
    )
    services.subject_create(
        actor=member_of(grades_member.organisation),
        organisation=grades_member.organisation,
        name="Service",
        type_or_category="teleconsultation",
    )
    return mine


def names(response) -> list[str]:
    return [subject.name for subject in response.context["page_obj"]]


def test_a_vendor_lists_only_its_products_25_per_page(client, catalogue, vendor_member):
    client.force_login(vendor_member.user)
    first = client.get(reverse("catalog:list"))
    assert first.context["page_obj"].paginator.count == 30
    assert len(names(first)) == 25
    second = client.get(reverse("catalog:list"), {"page": 2})
    assert names(second) == [f"Produit {n:02d}" for n in range(25, 30)]
    assert "Secret" not in first.content.decode()


def test_the_list_searches_filters_and_sorts(client, catalogue, vendor_member):
    client.force_login(vendor_member.user)
    assert names(client.get(reverse("catalog:list"), {"q": "produit 1"})) == [
        f"Produit 1{n}" for n in range(10)
    ]
    retired = names(client.get(reverse("catalog:list"), {"status": "retired"}))
    assert retired == [f"Produit {n:02d}" for n in range(0, 30, 5)]
    lgc = client.get(reverse("catalog:list"), {"type_or_category": "lgc", "sort": "-name"})
    assert names(lgc)[0] == "Produit 28"
    assert lgc.context["page_obj"].paginator.count == 15


def test_the_agency_sees_everything_and_filters_by_organisation(
    client, catalogue, agency_member, grades_member
):
    client.force_login(agency_member.user)
    assert client.get(reverse("catalog:list")).context["page_obj"].paginator.count == 32
    response = client.get(reverse("catalog:list"), {"organisation": grades_member.organisation.pk})
    assert names(response) == ["Service"]
    assert names(client.get(reverse("catalog:list"), {"kind": "service", "region": "76"})) == ["Service"]


def test_an_unknown_filter_value_is_reported_not_a_crash(client, catalogue, vendor_member):
    client.force_login(vendor_member.user)
    response = client.get(reverse("catalog:list"), {"status": "bogus"})
    assert response.status_code == 200
    assert "fr-error-text" in response.content.decode()


def count_queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_list_query_count_does_not_grow_with_the_page(
    client, catalogue, vendor_member, django_assert_max_num_queries
):
    client.force_login(vendor_member.user)
    client.get(reverse("catalog:list"))  # warm the session
    one_row = count_queries(lambda: client.get(reverse("catalog:list"), {"q": "Produit 07"}))
    full_page = count_queries(lambda: client.get(reverse("catalog:list")))
    assert full_page == one_row
    with django_assert_max_num_queries(25):  # fixed overhead: session, memberships, typology
        client.get(reverse("catalog:list"))


def test_the_detail_query_count_does_not_grow_with_the_history(
    client, referential, vendor_member, django_assert_max_num_queries
):
    subject = services.subject_create(
        actor=member_of(vendor_member.organisation),
        organisation=vendor_member.organisation,
        name="X",
        type_or_category="dpi",
    )
    client.force_login(vendor_member.user)
    url = reverse("catalog:detail", args=[subject.pk])
    client.get(url)
    short = count_queries(lambda: client.get(url))
    for n in range(15):
        services.subject_update(actor=member_of(subject.organisation), subject=subject, name=f"X{n}")
    long = count_queries(lambda: client.get(url))
    assert long == short
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.content.decode().count("→") >= 15


def test_a_subject_loaded_in_bulk_without_history_still_shows(client, referential, vendor_member):
    (subject,) = Subject.objects.bulk_create(
        [
            Subject(
                code="bulk",
                kind="product",
                name="Bulk",
                organisation=vendor_member.organisation,
                type_or_category="dpi",
            )
        ]
    )
    client.force_login(vendor_member.user)
    response = client.get(reverse("catalog:detail", args=[subject.pk]))
    assert response.status_code == 200
    assert "No change recorded" in response.content.decode()


@pytest.mark.django_db
def test_region_names_follow_the_page_language_and_the_filter_reads_all_regions(client, agency_member):
    org = f.OrganisationFactory(kind="grades", region="53", code="grades-bzh", siren="")
    f.SubjectFactory(code="bzh-ror", kind="service", region="53", organisation=org, type_or_category="ror")
    client.force_login(agency_member.user)
    english = client.get(reverse("catalog:list")).content.decode()
    assert "53 Brittany" in english and "All regions" in english
    french = client.get(reverse("catalog:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "53 Bretagne" in french and "Toutes les régions" in french
    assert "Toutes les organisations" in french


# Retiring and reactivating: account managers only


@pytest.fixture
def product(referential, vendor_member):
    return services.subject_create(
        actor=vendor_member.user,
        organisation=vendor_member.organisation,
        name="ACME DPI",
        type_or_category="dpi",
    )


def test_an_employee_cannot_retire_a_product_and_it_stays_active(client, product, vendor_member):
    client.force_login(vendor_member.user)  # salarié
    page = client.get(reverse("catalog:detail", args=[product.pk])).content.decode()
    assert reverse("catalog:retire", args=[product.pk]) not in page
    response = client.post(reverse("catalog:retire", args=[product.pk]))
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.status == "active" and product.history.count() == 1
    with pytest.raises(PermissionDenied):
        services.subject_retire(actor=vendor_member.user, subject=product)


def test_a_regional_contributor_cannot_retire_its_service(client, referential, grades_member):
    service = services.subject_create(
        actor=grades_member.user,
        organisation=grades_member.organisation,
        name="ROR",
        type_or_category="teleconsultation",
    )
    client.force_login(grades_member.user)  # contributeur
    assert client.post(reverse("catalog:retire", args=[service.pk])).status_code == 403
    service.refresh_from_db()
    assert service.status == "active"


def test_an_account_manager_retires_then_reactivates_a_product(client, product):
    manager = manager_of(product.organisation)
    client.force_login(manager)
    page = client.get(reverse("catalog:detail", args=[product.pk])).content.decode()
    assert reverse("catalog:retire", args=[product.pk]) in page
    assert reverse("catalog:reactivate", args=[product.pk]) not in page
    assert client.post(reverse("catalog:retire", args=[product.pk])).status_code == 302
    product.refresh_from_db()
    assert product.status == "retired"
    page = client.get(reverse("catalog:detail", args=[product.pk])).content.decode()
    assert reverse("catalog:reactivate", args=[product.pk]) in page and "data-confirm" in page
    assert reverse("catalog:retire", args=[product.pk]) not in page
    assert client.post(reverse("catalog:reactivate", args=[product.pk])).status_code == 302
    product.refresh_from_db()
    assert product.status == "active"


def test_an_employee_cannot_reactivate_and_an_active_subject_is_not_reactivated(
    client, product, vendor_member
):
    manager = manager_of(product.organisation)
    with pytest.raises(ValidationError):
        services.subject_reactivate(actor=manager, subject=product)
    services.subject_retire(actor=manager, subject=product)
    client.force_login(vendor_member.user)
    assert client.post(reverse("catalog:reactivate", args=[product.pk])).status_code == 403
    product.refresh_from_db()
    assert product.status == "retired"


def test_another_organisations_manager_gets_a_404_on_reactivate(client, product, other_vendor_member):
    services.subject_retire(actor=manager_of(product.organisation), subject=product)
    client.force_login(manager_of(other_vendor_member.organisation))
    assert client.post(reverse("catalog:reactivate", args=[product.pk])).status_code == 404
    product.refresh_from_db()
    assert product.status == "retired"
