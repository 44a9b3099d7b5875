"""Admin of the referential: drafts editable, published editions read-only, publish and retire."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from convergence.referential import models as ref
from convergence.referential.services import referential_content_hash, referential_import
from tests.factories import UserFactory

from .test_import import MINIMAL

pytestmark = pytest.mark.django_db

DRAFT = MINIMAL.replace("published_on: 2021-01-01\n", "")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def post_data(response) -> dict:
    """The data the browser would post back for an admin change page, unchanged."""
    data: dict = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            add(form)
    return data


def test_a_draft_can_be_edited_and_its_hash_follows(admin_client):
    referential = referential_import(source=DRAFT).referential
    url = reverse("admin:referential_referential_change", args=[referential.pk])
    response = admin_client.get(url)
    assert 'name="_save"' in response.content.decode()
    data = post_data(response)
    data["title"] = "Titre revu"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    referential.refresh_from_db()
    assert referential.title == "Titre revu"
    assert referential.content_hash == referential_content_hash(referential)


def test_a_published_referential_is_read_only(admin_client):
    referential = referential_import(source=MINIMAL).referential
    url = reverse("admin:referential_referential_change", args=[referential.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert admin_client.post(url, {"code": "mini-1", "title": "Changé"}).status_code == 403
    axis = ref.Axis.objects.get(referential=referential, code="INS")
    axis_url = reverse("admin:referential_axis_change", args=[axis.pk])
    assert admin_client.post(axis_url, {"code": "INS", "name": "Changé"}).status_code == 403
    referential.refresh_from_db()
    axis.refresh_from_db()
    assert (referential.title, axis.name) == ("Mini", "Identité")
    delete_url = reverse("admin:referential_referential_delete", args=[referential.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ref.Referential.objects.filter(pk=referential.pk).exists()


def test_publishing_asks_first_then_publishes_today(admin_client):
    referential = referential_import(source=DRAFT).referential
    changelist = reverse("admin:referential_referential_changelist")
    selection = {"action": "publish", "_selected_action": [referential.pk]}
    response = admin_client.post(changelist, selection)
    assert response.status_code == 200
    assert 'name="confirm"' in response.content.decode()
    referential.refresh_from_db()
    assert referential.status == "draft"
    response = admin_client.post(changelist, {**selection, "confirm": "yes"})
    assert response.status_code == 302
    referential.refresh_from_db()
    assert referential.status == "published"
    assert referential.published_on == timezone.localdate()
    assert referential.content_hash == referential_content_hash(referential)


def test_retiring_only_touches_published_editions(admin_client):
    published = referential_import(source=MINIMAL).referential
    draft = referential_import(source=DRAFT.replace("code: mini-1", "code: mini-2")).referential
    changelist = reverse("admin:referential_referential_changelist")
    response = admin_client.post(
        changelist, {"action": "retire", "_selected_action": [published.pk, draft.pk], "confirm": "yes"}
    )
    assert response.status_code == 302
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == ("retired", "draft")
    assert published.published_on == datetime.date(2021, 1, 1)


def test_an_expectation_added_in_the_admin_belongs_to_the_draft(admin_client):
    referential = referential_import(source=DRAFT).referential
    category = ref.ProductCategory.objects.get(referential=referential, code="dpi")
    url = reverse("admin:referential_productcategory_change", args=[category.pk])
    data = post_data(admin_client.get(url))
    mss = ref.Axis.objects.get(referential=referential, code="MSS")
    prefix = "expectations"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = total + 1
    data[f"{prefix}-{total}-axis"] = mss.pk
    data[f"{prefix}-{total}-expected_level"] = 2
    response = admin_client.post(url, data)
    assert response.status_code == 302
    expectation = ref.Expectation.objects.get(product_category=category, axis=mss)
    assert expectation.referential == referential
    assert expectation.expected_level == 2
