"""The public consultation of a draft: opened by the agency, read and commented on by vendors and
regions, answered by the agency, summarised in XLSX and PDF."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from convergence.organisations.models import AuditEntry
from convergence.referential import models as ref
from convergence.referential.selectors import consultation_summary
from convergence.referential.services import (
    consultation_comment_add,
    consultation_comment_answer,
    consultation_comment_update,
    consultation_open,
    load_default_referentials,
    referential_export,
    referential_import,
)
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def people(db):
    agency = OrganisationFactory(agency=True)
    vendor = OrganisationFactory(code="acme", name="Acme Santé")
    other_vendor = OrganisationFactory(code="globex", name="Globex")
    region = OrganisationFactory(grades=True, code="grades-occ")
    return {
        "analyst": MembershipFactory(organisation=agency, role="analyste").user,
        "vendor": vendor,
        "vendor_user": MembershipFactory(organisation=vendor, role="salarie").user,
        "colleague": MembershipFactory(organisation=vendor, role="mandataire").user,
        "other_vendor": other_vendor,
        "other_user": MembershipFactory(organisation=other_vendor, role="mandataire").user,
        "region": region,
        "region_user": MembershipFactory(organisation=region).user,
    }


@pytest.fixture
def draft(db):
    load_default_referentials()
    source = referential_export(referential=ref.Referential.objects.get(code="doctrine-2023"))
    source = source.replace("code: doctrine-2023", "code: doctrine-2026").replace(
        "published_on: 2023-06-01\n", ""
    )
    source = source.replace(
        "name: Identité nationale de santé (INS)\n", "name: Identité nationale de santé (INS) 2026\n"
    )
    return referential_import(source=source).referential


@pytest.fixture
def consultation(draft, people):
    return consultation_open(
        actor=people["analyst"],
        referential=draft,
        opens_on=datetime.date(2026, 11, 20),
        closes_on=datetime.date(2026, 12, 17),
        compared_with=ref.Referential.objects.get(code="doctrine-2023"),
    )


def comment(people, consultation, who="vendor_user", organisation="vendor", **fields):
    values = {"target": "axis", "axis_code": "INS", "text": "Le calendrier INSi est trop court."}
    values.update(fields)
    return consultation_comment_add(
        actor=people[who], organisation=people[organisation], consultation=consultation, **values
    )


def test_only_the_agency_opens_a_consultation_and_only_on_a_draft(draft, people):
    with pytest.raises(PermissionDenied):
        consultation_open(
            actor=people["vendor_user"],
            referential=draft,
            opens_on=TODAY,
            closes_on=TODAY,
        )
    published = ref.Referential.objects.get(code="doctrine-2023")
    with pytest.raises(ValidationError):
        consultation_open(actor=people["analyst"], referential=published, opens_on=TODAY, closes_on=TODAY)
    with pytest.raises(ValidationError) as caught:
        consultation_open(
            actor=people["analyst"],
            referential=draft,
            opens_on=TODAY,
            closes_on=TODAY - datetime.timedelta(days=1),
        )
    assert "closes_on" in caught.value.error_dict
    assert not ref.Consultation.objects.exists()


def test_the_consultation_is_compared_with_the_edition_the_draft_derives_from_by_default(draft, people):
    draft.derived_from = ref.Referential.objects.get(code="doctrine-2019")
    draft.save()
    consultation = consultation_open(
        actor=people["analyst"], referential=draft, opens_on=TODAY, closes_on=TODAY
    )
    assert consultation.compared_with.code == "doctrine-2019"
    entry = AuditEntry.objects.get(object_type="referential.consultation")
    assert entry.user_id == people["analyst"].pk


def test_vendors_and_regions_comment_on_each_kind_of_target(consultation, people):
    comment(people, consultation)
    comment(people, consultation, target="descriptor", axis_code="MSS", level=2, text="Niveau 2 ambigu.")
    comment(
        people,
        consultation,
        target="expected",
        axis_code="DMP",
        target_code="teleconsultation",
        text="Trop haut.",
    )
    comment(
        people,
        consultation,
        who="region_user",
        organisation="region",
        target="type",
        target_code="dpi",
        text="?",
    )
    assert ref.ConsultationComment.objects.count() == 4
    descriptor = ref.ConsultationComment.objects.get(target="descriptor")
    assert (descriptor.axis_code, descriptor.level, descriptor.target_code) == ("MSS", 2, "")
    type_comment = ref.ConsultationComment.objects.get(target="type")
    assert (type_comment.axis_code, type_comment.target_code, type_comment.organisation) == (
        "",
        "dpi",
        people["region"],
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"axis_code": "FOO"}, "axis_code"),
        ({"target": "descriptor", "axis_code": "INS", "level": 7}, "level"),
        ({"target": "expected", "axis_code": "INS", "target_code": "nope"}, "target_code"),
        ({"text": "  "}, "text"),
        ({"target": "colour"}, "target"),
    ],
)
def test_a_comment_must_name_something_of_the_draft(consultation, people, fields, field):
    with pytest.raises(ValidationError) as caught:
        comment(people, consultation, **fields)
    assert list(caught.value.error_dict) == [field]
    assert not ref.ConsultationComment.objects.exists()


def test_the_agency_does_not_comment_and_a_vendor_comments_only_for_its_own_organisation(
    consultation, people
):
    with pytest.raises(PermissionDenied):
        comment(people, consultation, who="analyst", organisation="vendor")
    with pytest.raises(PermissionDenied):
        comment(people, consultation, who="vendor_user", organisation="other_vendor")
    assert not ref.ConsultationComment.objects.exists()


def test_comments_are_refused_outside_the_dates(consultation, people):
    later = datetime.datetime(2026, 12, 18, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError):
        comment(people, consultation)
    assert not ref.ConsultationComment.objects.exists()


def test_a_comment_is_editable_by_its_author_until_answered(consultation, people):
    mine = comment(people, consultation)
    with pytest.raises(PermissionDenied):
        consultation_comment_update(actor=people["colleague"], comment=mine, text="Autre texte")
    consultation_comment_update(actor=people["vendor_user"], comment=mine, text="Texte corrigé")
    mine.refresh_from_db()
    assert mine.text == "Texte corrigé"
    with pytest.raises(PermissionDenied):
        consultation_comment_answer(
            actor=people["vendor_user"], comment=mine, status="accepted", answer="Oui"
        )
    with pytest.raises(ValidationError) as caught:
        consultation_comment_answer(actor=people["analyst"], comment=mine, status="pending", answer="")
    assert set(caught.value.error_dict) == {"status", "answer"}
    consultation_comment_answer(
        actor=people["analyst"], comment=mine, status="accepted", answer="Calendrier allongé."
    )
    mine.refresh_from_db()
    assert (mine.status, mine.answer, mine.answered_by) == (
        "accepted",
        "Calendrier allongé.",
        people["analyst"],
    )
    with pytest.raises(ValidationError):
        consultation_comment_update(actor=people["vendor_user"], comment=mine, text="Trop tard")
    mine.refresh_from_db()
    assert mine.text == "Texte corrigé"
    # Every step is in the audit trail, under the vendor's organisation.
    entries = AuditEntry.objects.filter(object_type="referential.consultationcomment").order_by("pk")
    assert [(e.action, e.user_id, e.owner_organisation_id) for e in entries] == [
        ("+", people["vendor_user"].pk, people["vendor"].pk),
        ("~", people["vendor_user"].pk, people["vendor"].pk),
        ("~", people["analyst"].pk, people["vendor"].pk),
    ]


def test_the_summary_counts_per_status_axis_and_organisation_kind(
    consultation, people, django_assert_max_num_queries
):
    first = comment(people, consultation)
    comment(people, consultation, axis_code="MSS")
    comment(people, consultation, who="region_user", organisation="region", target="type", target_code="dpi")
    consultation_comment_answer(actor=people["analyst"], comment=first, status="deferred", answer="En 2027.")
    with django_assert_max_num_queries(4):
        summary = consultation_summary(consultation)
    assert summary.total == 3
    assert summary.by_status == {"pending": 2, "accepted": 0, "rejected": 0, "deferred": 1}
    assert summary.by_axis == [
        ("INS", {"pending": 0, "accepted": 0, "rejected": 0, "deferred": 1}),
        ("MSS", {"pending": 1, "accepted": 0, "rejected": 0, "deferred": 0}),
        ("", {"pending": 1, "accepted": 0, "rejected": 0, "deferred": 0}),
    ]
    assert [kind for kind, _ in summary.by_organisation_kind] == ["vendor", "grades"]


# --- Pages --------------------------------------------------------------------------------


def test_a_vendor_reads_the_draft_under_consultation_with_its_differences_highlighted(
    client, consultation, people
):
    client.force_login(people["vendor_user"])
    response = client.get(reverse("referential:consultation", args=["doctrine-2026"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "From doctrine-2023 to doctrine-2026" in page
    assert 'id="axis-INS" class="cv-changed"' in page
    assert 'id="axis-MSS">' in page
    assert reverse("referential:consultation_comment", args=["doctrine-2026"]) in page
    # The draft itself is readable by the participant once the consultation has opened.
    assert client.get(reverse("referential:detail", args=["doctrine-2026"])).status_code == 200
    client.logout()
    assert client.get(reverse("referential:detail", args=["doctrine-2026"])).status_code == 404


def test_before_it_opens_the_draft_stays_hidden_from_vendors(client, draft, people):
    consultation_open(
        actor=people["analyst"],
        referential=draft,
        opens_on=datetime.date(2026, 12, 1),
        closes_on=datetime.date(2026, 12, 17),
    )
    client.force_login(people["vendor_user"])
    assert client.get(reverse("referential:consultation", args=["doctrine-2026"])).status_code == 404


def test_commenting_through_the_page_and_seeing_only_ones_organisation(client, consultation, people):
    client.force_login(people["vendor_user"])
    url = reverse("referential:consultation_comment", args=["doctrine-2026"])
    response = client.post(url, {"target": "descriptor", "axis_code": "INS", "level": "", "text": "x"})
    assert response.status_code == 200
    assert "Choose a level of the scale, 0 to 3." in response.content.decode()
    response = client.post(url, {"target": "axis", "axis_code": "INS", "text": "Le calendrier INSi."})
    assert response.status_code == 302
    mine = ref.ConsultationComment.objects.get()
    client.force_login(people["other_user"])
    page = client.get(reverse("referential:consultation", args=["doctrine-2026"])).content.decode()
    assert "Le calendrier INSi." not in page
    edit = reverse("referential:consultation_comment_edit", args=["doctrine-2026", mine.pk])
    assert client.post(edit, {"text": "piraté"}).status_code == 404
    client.force_login(people["vendor_user"])
    assert client.post(edit, {"text": "Le calendrier INSi, corrigé."}).status_code == 302
    mine.refresh_from_db()
    assert mine.text == "Le calendrier INSi, corrigé."


def test_the_agency_answers_and_downloads_the_summary(client, consultation, people):
    mine = comment(people, consultation)
    client.force_login(people["vendor_user"])
    answer = reverse("referential:consultation_comment_answer", args=["doctrine-2026", mine.pk])
    assert client.post(answer, {"status": "accepted", "answer": "oui"}).status_code == 403
    client.force_login(people["analyst"])
    response = client.post(answer, {"status": "rejected", "answer": "Hors périmètre."})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.answer) == ("rejected", "Hors périmètre.")

    response = client.get(reverse("referential:consultation_summary", args=["doctrine-2026", "xlsx"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["status", "axes", "organisation_kinds", "comments"]
    assert [c.value for c in book["axes"][2]] == ["INS", 0, 0, 1, 0, 1]
    assert book["comments"]["H2"].value == "Le calendrier INSi est trop court."
    response = client.get(reverse("referential:consultation_summary", args=["doctrine-2026", "pdf"]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert (
        client.get(reverse("referential:consultation_summary", args=["doctrine-2026", "csv"])).status_code
        == 404
    )
    client.force_login(people["vendor_user"])
    assert (
        client.get(reverse("referential:consultation_summary", args=["doctrine-2026", "xlsx"])).status_code
        == 403
    )
