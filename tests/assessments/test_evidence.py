"""Evidence files: type read from the content, size limited, refused before reading it all."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from convergence.assessments.models import Evidence
from convergence.assessments.services import evidence_content_type

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind in ("odt", "ods"):
            mimetype = {"odt": "text", "ods": "spreadsheet"}[kind]
            archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{mimetype}")
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, "application/pdf"),
        (PNG_BYTES, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        (office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (office("odt"), "application/vnd.oasis.opendocument.text"),
        (office("ods"), "application/vnd.oasis.opendocument.spreadsheet"),
        (b"MZ\x90\x00 an executable", None),
        (b"<html><script>alert(1)</script>", None),
        (b"PK\x03\x04 not really a zip", None),
    ],
)
def test_the_type_is_read_from_the_content(content, expected):
    assert evidence_content_type(SimpleUploadedFile("whatever.pdf", content)) == expected


def upload(client, assessment, code, name, content, version=1, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("assessments:evidence_add", args=[assessment.pk, code]),
        {"version": version, "file": SimpleUploadedFile(name, content)},
        headers=headers,
    )


def test_a_pdf_is_attached_downloaded_and_removed(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    response = upload(client, assessment, "AX00", "preuve.pdf", PDF_BYTES)
    assert response.status_code == 200
    assert "preuve.pdf" in response.content.decode() and 'data-version="2"' in response.content.decode()
    evidence = Evidence.objects.get()
    assert evidence.content_type == "application/pdf" and evidence.size == len(PDF_BYTES)
    download = client.get(reverse("assessments:evidence_download", args=[assessment.pk, evidence.pk]))
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    stored = tmp_path / evidence.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessments:evidence_delete", args=[assessment.pk, evidence.pk]), {"version": 2}
        )
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert not stored.exists()


def test_a_file_whose_content_is_not_accepted_is_refused_whatever_its_name(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    response = upload(client, world.product_assessment, "AX00", "rapport.pdf", b"MZ\x90\x00 executable")
    assert "is not an accepted file" in response.content.decode()
    assert not Evidence.objects.exists()
    world.product_assessment.refresh_from_db()
    assert world.product_assessment.version == 1


def test_a_file_above_the_limit_is_refused_with_a_clear_message(client, world, settings, tmp_path):
    # Through the `settings` fixture only: mixed with @override_settings, the fixture's teardown
    # restored the decorator's value and the small limit leaked into the following tests.
    settings.EVIDENCE_MAX_BYTES = 1024
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    response = upload(client, world.product_assessment, "AX00", "big.pdf", PDF_BYTES + b"0" * 4096)
    assert "evidence files are limited to" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_huge_declared_upload_is_refused_before_the_body_is_read(client, world):
    """A 200 MB upload: the view answers from CONTENT_LENGTH; the body is never read."""
    client.force_login(world.vendor_user)

    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    url = reverse("assessments:evidence_add", args=[world.product_assessment.pk, "AX00"])
    response = client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("too large (200.0 MB)" in m for m in messages)
    assert not Evidence.objects.exists()


@override_settings(EVIDENCE_MAX_BYTES=2048)
def test_the_upload_handler_stops_a_body_that_lies_about_its_size(rf, world):
    """Chunked or under-declared bodies: the handler stops once the limit is passed."""
    from django.core.files.uploadhandler import StopUpload

    from convergence.assessments.views import _EvidenceSizeLimit

    request = rf.post("/")
    handler = _EvidenceSizeLimit(request)
    handler.receive_data_chunk(b"x" * 2000, 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 100, 2000)
    assert request.evidence_too_large
