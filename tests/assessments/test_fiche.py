"""The subject's fiche: radar chart, gaps, trajectory with late milestones, blockers; as a PDF."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from convergence.assessments.models import Answer, AnswerBlocker, Milestone
from convergence.referential.models import BlockerCategory

from .conftest import FUTURE

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(world):
    assessment = world.product_assessment
    ins = Answer.objects.create(assessment=assessment, axis=world.axes[0], level=1, comment="INSi en attente")
    Milestone.objects.create(
        answer=ins, level=2, due_on=datetime.date(2020, 6, 30)
    )  # passed, not reached: late
    Milestone.objects.create(answer=ins, level=3, due_on=FUTURE)
    Answer.objects.create(assessment=assessment, axis=world.axes[1], level=3)
    Answer.objects.create(
        assessment=assessment, axis=world.axes[2], not_applicable=True, not_applicable_reason="n/a"
    )
    AnswerBlocker.objects.create(answer=ins, category=BlockerCategory.objects.get(code="calendrier-national"))
    return assessment


def test_the_fiche_shows_the_radar_the_gaps_the_late_milestone_and_the_blockers(client, world, answered):
    client.force_login(world.vendor_user)
    response = client.get(reverse("assessments:fiche", args=[answered.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and 'class="convergence-radar"' in html and 'role="img"' in html
    # Text stays text (svg.fonttype none): axis codes are in the SVG as text.
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "AX00" in svg and "AX01" in svg and "AX02" not in svg  # not applicable axes are left out
    assert svg.count("<path") > 3
    assert "Late" in html or "En retard" in html
    # Dates in the reader's language (the suite reads English pages: month/day/year).
    assert "06/30/2020" in html and FUTURE.strftime("%m/%d/%Y") in html and "2020-06-30" not in html
    assert "Calendrier national" in html and "INSi en attente" in html


def test_the_fiche_pdf_is_a_real_pdf_with_the_subject_the_axes_and_the_radar(
    client, world, answered, tmp_path
):
    client.force_login(world.vendor_user)
    response = client.get(reverse("assessments:fiche_pdf", args=[answered.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF")
    path = tmp_path / "fiche.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ACME DPI" in text
    for code in ("AX00", "AX01", "AX02"):
        assert code in text
    # The radar's axis labels are text drawn by the SVG: each of the two plotted codes appears
    # once more than in the tables.
    assert text.count("AX01") >= 2
    # Vector content: the chart is drawn with paths (no embedded bitmap).
    assert b"/Image" not in content


def test_the_html_given_to_weasyprint_inlines_the_svg_chart(client, world, answered, monkeypatch):
    from convergence.assessments import pdf

    seen = {}
    original = pdf.html_to_pdf

    def spy(html, **kwargs):
        seen["html"] = html
        return original(html, **kwargs)

    monkeypatch.setattr(pdf, "html_to_pdf", spy)
    client.force_login(world.vendor_user)
    client.get(reverse("assessments:fiche_pdf", args=[answered.pk]))
    assert "<svg" in seen["html"] and "<?xml" not in seen["html"]
    assert "linestyle" not in seen["html"]  # matplotlib styles became SVG attributes
    assert "stroke-dasharray" in seen["html"]  # dashed / dotted series, readable without colour


def test_the_fiche_uses_a_constant_number_of_queries(client, world, answered):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import build_world

    client.force_login(world.vendor_user)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("assessments:fiche", args=[answered.pk]))
    big = build_world(axis_count=15, prefix="big-")
    for axis in big.axes:
        answer = Answer.objects.create(assessment=big.product_assessment, axis=axis, level=1)
        Milestone.objects.create(answer=answer, level=2, due_on=FUTURE)
        AnswerBlocker.objects.create(
            answer=answer,
            category=BlockerCategory.objects.get(referential=big.referential, code="visibilite"),
        )
    client.force_login(big.vendor_user)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("assessments:fiche", args=[big.product_assessment.pk]))
    assert response.status_code == 200
    assert len(large) == len(small) <= 30
