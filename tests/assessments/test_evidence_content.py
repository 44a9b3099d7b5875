"""Evidence content checks and safe downloads (issue 15): a polyglot "%PDF" file holding HTML is
refused, a name that lies about the content is refused, every download goes out under a safe
name with the stored type, as an attachment, unsniffed; uploads stream to disk."""

import hashlib
import re
import tracemalloc

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from convergence.assessments.models import Answer, Evidence
from convergence.assessments.services import EvidenceRefused, evidence_check, evidence_safe_name

from .test_evidence import PDF_BYTES, PNG_BYTES, office

pytestmark = pytest.mark.django_db

POLYGLOT = b"%PDF-1.4\n<!DOCTYPE html><html><body><script>fetch('/x')</script></body></html>\n%%EOF"


@pytest.mark.parametrize(
    ("name", "content", "refusal"),
    [
        ("page.html", POLYGLOT, "holds web page markup"),
        ("rapport.pdf", POLYGLOT, "holds web page markup"),
        ("image.png", PNG_BYTES + b"<svg onload=alert(1)>", "holds web page markup"),
        ("x.pdf", b"%PDF-1.7\n" + b"A" * 600 + b"<SCRIPT>alert(1)</SCRIPT>", "holds web page markup"),
        ("lien.pdf", b"%PDF-1.4\n/URI (javascript:alert(1))", "holds web page markup"),
        ("rapport.docx", PDF_BYTES, "its name says .docx but its content is a PDF"),
        ("page.html", PDF_BYTES, "its name says .html but its content is a PDF"),
        ("vide.pdf", b"", "The file is empty."),
    ],
)
def test_a_file_whose_content_or_name_does_not_hold_up_is_refused_with_a_clear_message(
    name, content, refusal
):
    with pytest.raises(EvidenceRefused) as refused:
        evidence_check(SimpleUploadedFile(name, content))
    assert refusal in str(refused.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("rapport.pdf", PDF_BYTES, "application/pdf"),
        ("RAPPORT.PDF", PDF_BYTES, "application/pdf"),
        ("sans-extension", PDF_BYTES, "application/pdf"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        # A PDF dictionary ("<<") is not markup.
        ("dict.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n", "application/pdf"),
        ("tableau.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_a_genuine_file_is_accepted(name, content, expected):
    assert evidence_check(SimpleUploadedFile(name, content)) == expected


@pytest.mark.parametrize(
    ("original", "content_type", "safe"),
    [
        ("page.html", "application/pdf", "page.pdf"),
        ("rapport final.v2.html", "application/pdf", "rapport_final_v2.pdf"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ('a"b;c.pdf', "application/pdf", "a_b_c.pdf"),
        (
            "Évaluation été.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Évaluation_été.docx",
        ),
        ("", "application/pdf", "evidence.pdf"),
    ],
)
def test_the_safe_name_keeps_the_stem_and_takes_the_extension_of_the_content(original, content_type, safe):
    assert evidence_safe_name(original, content_type) == safe


def test_the_polyglot_is_refused_by_the_evidence_url_too(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    response = client.post(
        reverse("assessments:evidence_add", args=[world.product_assessment.pk, "AX00"]),
        {"version": 1, "file": SimpleUploadedFile("page.html", POLYGLOT)},
        headers={"HX-Request": "true"},
    )
    assert "holds web page markup" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_file_stored_before_the_checks_downloads_under_a_safe_name_as_an_attachment(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    answer = Answer.objects.create(assessment=world.product_assessment, axis=world.axes[0], level=1)
    legacy = Evidence(
        answer=answer, original_name="page.html", content_type="application/pdf", size=len(POLYGLOT)
    )
    legacy.file.save("page.html", ContentFile(POLYGLOT), save=True)
    sniffable = Evidence(answer=answer, original_name="x.html", content_type="text/html", size=len(POLYGLOT))
    sniffable.file.save("x.html", ContentFile(POLYGLOT), save=True)
    client.force_login(world.vendor_user)
    response = client.get(
        reverse("assessments:evidence_download", args=[world.product_assessment.pk, legacy.pk])
    )
    assert response["Content-Disposition"] == 'attachment; filename="page.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    response = client.get(
        reverse("assessments:evidence_download", args=[world.product_assessment.pk, sniffable.pk])
    )
    assert response["Content-Type"] == "application/octet-stream"  # a type the checks never grant
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".html" not in response["Content-Disposition"]


def test_an_accepted_upload_is_stored_under_its_safe_name(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    client.post(
        reverse("assessments:answer_save", args=[world.product_assessment.pk, "AX00"]),
        {"version": 1, "level": "1", "file": SimpleUploadedFile("Audit INS (final).pdf", PDF_BYTES)},
    )
    evidence = Evidence.objects.get()
    assert re.fullmatch(r"evidence/\d+/Audit_INS_final(_\w+)?\.pdf", evidence.file.name)
    assert evidence.original_name == "Audit INS (final).pdf"


def test_an_upload_streams_to_disk_instead_of_being_held_in_memory(client, world, settings, tmp_path):
    """A 12 MiB evidence file (above FILE_UPLOAD_MAX_MEMORY_SIZE): the server side of the request
    allocates a small fraction of it (chunks of 64 KiB, a temporary file moved into place; the
    checks read its first KiB), and the stored file is the one sent."""
    settings.MEDIA_ROOT = tmp_path
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    size = 12 * 1024 * 1024
    content = PDF_BYTES + b"0" * (size - len(PDF_BYTES))
    boundary = "convergenceboundary"
    version = 1
    body_path = tmp_path / "body.bin"
    with body_path.open("wb") as body:
        for name, value in (("version", str(version)), ("level", "1")):
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="gros.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n".encode()
        )
        body.write(content)
        body.write(f"\r\n--{boundary}--\r\n".encode())
    client.force_login(world.vendor_user)
    client.get(reverse("assessments:questionnaire", args=[world.product_assessment.pk]))  # warm up
    with body_path.open("rb") as stream:
        tracemalloc.start()
        try:
            response = client.generic(
                "POST",
                reverse("assessments:answer_save", args=[world.product_assessment.pk, "AX00"]),
                b"",
                CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
                CONTENT_LENGTH=str(body_path.stat().st_size),
                **{"wsgi.input": stream},
            )
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 302, response.content
    assert [str(m) for m in response.wsgi_request._messages] == ["Axis AX00 saved, with the file “gros.pdf”."]
    evidence = Evidence.objects.get()
    assert evidence.size == size
    with evidence.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(content).digest()
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte upload"
