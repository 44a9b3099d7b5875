"""The questionnaire in daily use (issue 12): what the badge and the summary say, evidence sent
with the answer in one save, errors beside their field, autosaved drafts that never count,
labels instead of codes, localised dates and numbers."""

import datetime
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from convergence.assessments import selectors, services
from convergence.assessments.models import Answer, AnswerDraft, Assessment, Evidence
from convergence.assessments.validation import (
    AnswerInput,
    MilestoneInput,
    ReferentialContext,
    answer_problems,
)
from tests import factories as f

from .conftest import FUTURE, build_world
from .test_evidence import PDF_BYTES

pytestmark = pytest.mark.django_db


def url(assessment, name="questionnaire", *args):
    return reverse(f"assessments:{name}", args=[assessment.pk, *args])


def post_axis(client, assessment, code, data, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url(assessment, "answer_save", code), data, headers=headers)


def axis_badges(html: str, code: str) -> str:
    """The badge list under the axis's title."""
    start = html.index(f'id="axis-{code}-title"')
    return html[start : html.index("</ul>", start)]


def toc_row(html: str, code: str) -> str:
    start = html.index(f'data-toc-axis="{code}"')
    return html[start : html.index("</li>", start)]


# --- The badge reflects what is stored -----------------------------------------------------------


def test_not_applicable_without_a_reason_leaves_the_badge_and_the_count_unanswered(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "na"})
    html = response.content.decode()
    assert "This axis was not saved" in html
    badges = axis_badges(html, "AX00")
    assert "Not answered" in badges and "fr-badge--success" not in badges
    assert "0 of 3 applicable axes answered" in html
    assert "Not saved: to correct" in toc_row(html, "AX00")
    # What was typed is still shown: "not applicable" stays ticked, to add the reason.
    assert re.search(r'id="ax-AX00-level-na"[^>]*checked', html)
    # Without JavaScript, the whole page says the same.
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "na"}, htmx=False)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Not answered" in axis_badges(html, "AX00")
    assert "0 of 3 applicable axes answered" in html
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_an_invalid_change_to_a_saved_axis_keeps_the_badge_of_the_stored_answer(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    post_axis(client, assessment, "AX00", {"version": 1, "level": "2"})
    response = post_axis(client, assessment, "AX00", {"version": 2, "level": "9"})
    html = response.content.decode()
    assert "This axis was not saved" in html
    assert "fr-badge--success" in axis_badges(html, "AX00")  # level 2 is still what is stored
    assert "1 of 3 applicable axes answered" in html


# --- Evidence in the same save ----------------------------------------------------------------------


def test_a_file_chosen_in_the_axis_is_attached_by_saving_the_axis_in_one_version_step(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = post_axis(
        client,
        assessment,
        "AX00",
        {"version": 1, "level": "1", "file": SimpleUploadedFile("preuve.pdf", PDF_BYTES)},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Axis AX00 saved, with the file “preuve.pdf”." in html
    evidence = Evidence.objects.get()
    assert evidence.answer.axis.code == "AX00" and evidence.answer.level == 1
    assert evidence.content_type == "application/pdf"
    assessment.refresh_from_db()
    assert assessment.version == 2  # one save, one version step
    assert 'data-version="2"' in html
    # Without JavaScript: the same form, posted as multipart.
    post_axis(
        client,
        assessment,
        "AX01",
        {"version": 2, "level": "2", "file": SimpleUploadedFile("annexe.pdf", PDF_BYTES)},
        htmx=False,
    )
    assert Evidence.objects.filter(answer__axis__code="AX01", original_name="annexe.pdf").exists()


def test_the_page_has_one_form_per_axis_with_the_file_field_inside_it(client, world):
    client.force_login(world.vendor_user)
    html = client.get(url(world.product_assessment)).content.decode()
    form_start = html.index(f'action="{url(world.product_assessment, "answer_save", "AX00")}"')
    form = html[html.rindex("<form", 0, form_start) : html.index("</form>", form_start)]
    assert 'enctype="multipart/form-data"' in form and 'name="file"' in form
    assert 'id="ax-AX00-upload-progress"' in form  # its own progress bar
    # No separate evidence form any more, whose file would be lost by "Save axis".
    assert f'action="{url(world.product_assessment, "evidence_add", "AX00")}"' not in html


def test_a_refused_file_writes_nothing_and_its_message_is_beside_the_file_field(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>"
    response = post_axis(
        client,
        assessment,
        "AX00",
        {
            "version": 1,
            "level": "1",
            "comment": "voir pièce",
            "file": SimpleUploadedFile("page.html", polyglot),
        },
    )
    html = response.content.decode()
    error = re.search(r'<p class="fr-error-text" id="ax-AX00-file-error">([^<]+)</p>', html)
    assert error and "holds web page markup" in error.group(1)
    assert re.search(r'id="ax-AX00-file"[^>]*aria-describedby="[^"]*ax-AX00-file-error', html)
    assert re.search(r'id="ax-AX00-file"[^>]*aria-invalid="true"', html)
    assert "voir pièce" in html  # what was typed is kept
    assert not Answer.objects.exists() and not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.*"))
    assessment.refresh_from_db()
    assert assessment.version == 1


def test_an_invalid_answer_with_a_file_says_the_file_was_not_attached(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    response = post_axis(
        client,
        world.product_assessment,
        "AX00",
        {"version": 1, "level": "na", "file": SimpleUploadedFile("preuve.pdf", PDF_BYTES)},
    )
    html = response.content.decode()
    assert "give the reason why the axis does not apply" in html
    assert "The file was not attached because the axis has errors: choose it again." in html
    assert not Evidence.objects.exists()


def test_a_save_declared_above_the_limit_is_refused_before_its_body_is_read(client, world):
    client.force_login(world.vendor_user)

    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    for htmx in (True, False):
        response = client.generic(
            "POST",
            url(world.product_assessment, "answer_save", "AX00"),
            b"",
            content_type="multipart/form-data; boundary=xyz",
            CONTENT_LENGTH=str(199 * 1024 * 1024),
            headers={"HX-Request": "true"} if htmx else {},
            **{"wsgi.input": Unreadable()},
        )
        if htmx:
            html = response.content.decode()
            assert "too large (199.0 MB)" in html
            assert re.search(r'id="ax-AX00-file-error">[^<]*too large', html)
        else:
            assert response.status_code == 302
            assert any("too large (199.0 MB)" in str(m) for m in response.wsgi_request._messages)
    assert not Answer.objects.exists()


def test_a_body_that_passes_the_limit_while_streaming_is_cut_and_nothing_is_written(
    client, world, settings, tmp_path
):
    settings.EVIDENCE_MAX_BYTES = 4096
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    response = post_axis(
        client,
        world.product_assessment,
        "AX00",
        # Under EVIDENCE_MAX_BYTES + the form's allowance, so it is read, then cut by the handler.
        {"version": 1, "level": "2", "file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 20000)},
    )
    html = response.content.decode()
    assert re.search(r'id="ax-AX00-file-error">[^<]*evidence files are limited to', html)
    assert not Answer.objects.exists() and not Evidence.objects.exists()


# --- NUL characters ----------------------------------------------------------------------------------


def test_a_nul_character_in_a_comment_is_dropped_instead_of_a_server_error(client, world):
    client.force_login(world.vendor_user)
    response = post_axis(
        client, world.product_assessment, "AX00", {"version": 1, "level": "1", "comment": "avant\x00après"}
    )
    assert response.status_code == 200
    assert Answer.objects.get().comment == "avantaprès"


# --- Summary -----------------------------------------------------------------------------------------


def test_the_summary_lists_every_axis_with_its_state_and_the_next_unanswered(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    html = client.get(url(assessment)).content.decode()
    assert 'href="#axis-AX00" data-axis-link="AX00">Next unanswered axis: AX00' in html
    for code in ("AX00", "AX01", "AX02"):
        assert "Not answered" in toc_row(html, code)
    assert "Alt</kbd>+<kbd>↓</kbd>" in html and "<kbd>j</kbd>" in html  # the shortcuts are documented
    html = post_axis(client, assessment, "AX00", {"version": 1, "level": "1"}).content.decode()
    summary = html[html.index('id="assessment-progress"') :]
    assert 'hx-swap-oob="true"' in summary[:300]
    assert "Next unanswered axis: AX01" in summary
    assert "Answered" in toc_row(summary, "AX00") and "Not answered" in toc_row(summary, "AX01")
    for code, version in (("AX01", 2), ("AX02", 3)):
        post_axis(client, assessment, code, {"version": version, "level": "2"})
    html = client.get(url(assessment)).content.decode()
    assert "Every applicable axis is answered." in html and "Next unanswered" not in html


def test_the_summary_after_a_save_costs_the_same_whatever_the_number_of_axes(client):
    counts = []
    for axes, prefix in ((3, "a-"), (15, "b-")):
        world = build_world(axes, prefix=prefix)
        client.force_login(world.vendor_user)
        with CaptureQueriesContext(connection) as captured:
            post_axis(client, world.product_assessment, "AX00", {"version": 1, "level": "1"})
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- Drafts --------------------------------------------------------------------------------------------


def autosave(client, assessment, code, data):
    return client.post(url(assessment, "answer_save", code), {"intent": "draft", **data})


def test_an_autosaved_draft_is_kept_but_never_counts_as_an_answer(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = autosave(
        client,
        assessment,
        "AX01",
        {"version": 1, "level": "3", "comment": "brouillon en cours", "blockers": ["visibilite"]},
    )
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["saved"] and body["message"].startswith("Draft saved at ")
    draft = AnswerDraft.objects.get()
    assert draft.user == world.vendor_user and draft.data["comment"] == "brouillon en cours"
    # Not an answer: no row, no version step, not counted, not enough to submit.
    assert not Answer.objects.exists()
    assessment.refresh_from_db()
    assert assessment.version == 1
    counted = selectors.with_completion(
        Assessment.objects.filter(pk=assessment.pk), today=datetime.date.today()
    )
    assert counted.values_list("answered_count", flat=True).get() == 0
    context = ReferentialContext.from_referential(assessment.campaign.referential)
    assert "AX01" in services.assessment_missing_axes(assessment, context=context)
    # The page shows it in the form, says it is a draft, and does not count it.
    html = client.get(url(assessment)).content.decode()
    section = html[html.index('id="axis-AX01"') : html.index("</section>", html.index('id="axis-AX01"'))]
    assert "brouillon en cours" in section and re.search(r'id="ax-AX01-level-3"[^>]*checked', section)
    assert "not yet saved as your answer" in section
    assert 'value="discard-draft"' in section
    assert "Not answered" in axis_badges(html, "AX01")
    assert "Unsaved draft" in toc_row(html, "AX01")
    assert "0 of 3 applicable axes answered" in html


def test_a_draft_is_private_to_its_author(client, world):
    colleague = f.MembershipFactory(organisation=world.vendor, user=f.UserFactory(username="colleague")).user
    client.force_login(world.vendor_user)
    autosave(client, world.product_assessment, "AX00", {"version": 1, "comment": "mon brouillon"})
    client.force_login(colleague)
    assert "mon brouillon" not in client.get(url(world.product_assessment)).content.decode()


def test_saving_the_axis_validates_it_and_removes_the_draft(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    autosave(client, assessment, "AX00", {"version": 1, "level": "na"})
    response = post_axis(client, assessment, "AX00", {"version": 1, "level": "na"})
    assert "give the reason why the axis does not apply" in response.content.decode()
    assert AnswerDraft.objects.exists()  # an invalid save keeps the draft
    post_axis(
        client, assessment, "AX00", {"version": 1, "level": "na", "not_applicable_reason": "hors champ"}
    )
    assert Answer.objects.get().not_applicable
    assert not AnswerDraft.objects.exists()
    html = client.get(url(assessment)).content.decode()
    assert "not yet saved as your answer" not in html


def test_discarding_a_draft_shows_the_saved_answer_again(client, world):
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    post_axis(client, assessment, "AX00", {"version": 1, "level": "1", "comment": "enregistré"})
    autosave(client, assessment, "AX00", {"version": 2, "level": "2", "comment": "à moitié tapé"})
    assert "à moitié tapé" in client.get(url(assessment)).content.decode()
    response = post_axis(client, assessment, "AX00", {"version": 2, "intent": "discard-draft"})
    html = response.content.decode()
    assert "The draft of axis AX00 was discarded." in html and "enregistré" in html
    assert not AnswerDraft.objects.exists()
    assert Answer.objects.get().level == 1


def test_a_draft_is_refused_where_an_answer_would_be(client, world):
    client.force_login(world.other_user)
    assert autosave(client, world.product_assessment, "AX00", {"comment": "x"}).status_code == 404
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    response = autosave(client, assessment, "AX00", {"comment": "x"})
    assert response.status_code == 409 and not json.loads(response.content)["saved"]
    assert not AnswerDraft.objects.exists()


# --- Labels, dates and numbers --------------------------------------------------------------------------


def test_the_questionnaire_and_the_fiche_show_labels_where_codes_were(client, world):
    category = world.product_assessment.campaign.referential.product_categories.get(code="dpi")
    category.name = "Dossier patient informatisé"
    category.save()
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    html = client.get(url(assessment)).content.decode()
    assert "Dossier patient informatisé" in html and "<code>dpi</code>" not in html
    post_axis(
        client,
        assessment,
        "AX00",
        {"version": 1, "level": "1", "milestone-0-level": "3", "milestone-0-due_on": FUTURE.isoformat()},
    )
    html = client.get(url(assessment, "fiche")).content.decode()
    assert "Dossier patient informatisé" in html
    assert "1 — Planifié" in html and "2 — Conforme" in html and "3 — En usage" in html
    assert "<code>AX00</code>" not in html


def test_dates_and_numbers_in_messages_follow_the_language():
    context = ReferentialContext(
        referential_id=None,
        code="r",
        scale_min=0,
        scale_max=3,
        axes={"INS": type("A", (), {"id": 1, "code": "INS", "position": 0})()},
        expectations={("product", "dpi"): {"INS": 2}},
        blocker_codes={},
    )
    answer = AnswerInput(axis="INS", level=1, milestones=[MilestoneInput(level=2, due_on="2001-01-31")])
    with translation.override("fr"):
        french = answer_problems(answer, context=context, subject_kind="product", type_or_category="dpi")
        size = services.evidence_size_message(int(199.5 * 1024 * 1024))
    with translation.override("en"):
        english = answer_problems(answer, context=context, subject_kind="product", type_or_category="dpi")
    assert "31/01/2001" in french[0].message and "2001-01-31" not in french[0].message
    assert "01/31/2001" in english[0].message
    assert "199,5" in size


def test_the_stored_answer_counts_not_what_was_typed():
    """AxisItem.answered reads the stored answer (the badge and the counts use it)."""
    from convergence.assessments.selectors import AxisItem

    item = AxisItem(axis=None, levels=[], expected=None, answer=None)
    item.not_applicable = True  # typed, refused
    assert not item.answered
    item.answer = Answer(level=2)
    assert item.answered
