"""HTML → PDF with WeasyPrint (the fiche). Fonts and styles come from the HTML itself; no
network access: only files under the static root are fetched."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.staticfiles import finders


def _local_only_fetcher(url: str, timeout: int = 10, ssl_context=None):  # noqa: ANN001, ANN202
    """Resolve `/static/...` to the file on disk and refuse anything else (no SSRF from a PDF)."""
    from weasyprint.urls import default_url_fetcher

    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    path = url.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else path
    if path.startswith(static_url):
        found = finders.find(path[len(static_url) :])
        if found:
            return default_url_fetcher("file://" + str(found))
    raise ValueError(f"refused to fetch {url}")


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML

    # matplotlib writes SVG presentation properties in style attributes; WeasyPrint's HTML
    # cascade warns about each ("unknown property") before its SVG renderer uses them anyway.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return HTML(string=html, base_url=base_url, url_fetcher=_local_only_fetcher).write_pdf()
    finally:
        logger.setLevel(level)
