"""Evidence files are never served at MEDIA_URL, by any profile (with DEBUG=1, `make run` served
them to anyone at /media/evidence/<id>/<name>): downloads go only through the permission-checked
view."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.views import static

from tests.ops.servers import ROOT

pytestmark = pytest.mark.django_db


def _views(resolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def test_no_url_serves_files_from_a_folder():
    assert [
        p for p in _views(get_resolver()) if getattr(p.callback, "__wrapped__", p.callback) is static.serve
    ] == []


@pytest.mark.parametrize("debug", [False, True])
def test_a_stored_evidence_file_is_not_reachable_at_media_url(client, settings, tmp_path, debug):
    settings.DEBUG = debug
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "evidence" / "1").mkdir(parents=True)
    (tmp_path / "evidence" / "1" / "audit.pdf").write_bytes(b"%PDF-1.4 confidential")
    response = client.get(f"{settings.MEDIA_URL}evidence/1/audit.pdf")
    assert response.status_code == 404
    assert b"confidential" not in response.content


def test_make_run_serves_the_demonstration_without_debug():
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = re.search(r"^run:.*?(?=^\S)", makefile, re.S | re.M).group(0)
    assert "runserver" in run_recipe
    assert "DEBUG=1" not in run_recipe
