"""Every URL of the resolver (the access-policy test's walk), requested by a signed-in member with
placeholder parameters: every answer (page, fragment, download, redirect, 404) carries the
security headers and the CSP, and every unsafe method without a CSRF token is refused (403, or
405 where the view accepts no such method)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.factories import MembershipFactory
from tests.organisations.test_access_policy import ROUTES

pytestmark = pytest.mark.django_db

PLACEHOLDER = "999999"
UNSAFE = ("post", "put", "patch", "delete")


def _url(route) -> str | None:
    try:
        return reverse(route.full_name, kwargs=dict.fromkeys(route.params, PLACEHOLDER))
    except NoReverseMatch:
        return None


URLS = sorted({url for route in ROUTES if (url := _url(route))})


@pytest.fixture
def member_client():
    membership = MembershipFactory(role="salarie")
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(membership.user)
    return client


def test_the_walk_reaches_the_routes():
    assert len(URLS) >= 0.9 * len(ROUTES)


def _assert_security_headers(response, url):
    csp = response.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    # Scripts from the site only (plus a nonce when a page has an inline one): never 'unsafe-*'.
    assert directives.get("script-src", "").startswith("'self'"), url
    assert "unsafe" not in directives["script-src"], url
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, url
    assert "default-src 'self'" in csp, url
    assert response.get("X-Content-Type-Options") == "nosniff", url
    assert response.get("X-Frame-Options") == "DENY", url
    assert response.get("Referrer-Policy") == "same-origin", url
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin", url


@pytest.mark.parametrize("url", URLS)
def test_every_answer_carries_the_security_headers_and_the_csp(member_client, url):
    response = member_client.get(url)
    assert response.status_code < 500, url
    _assert_security_headers(response, url)


@pytest.mark.parametrize("url", URLS)
def test_every_unsafe_method_without_a_csrf_token_is_refused(member_client, url):
    for method in UNSAFE:
        response = getattr(member_client, method)(url)
        # 403: the CSRF check refused it; 405: the view accepts no such method at all.
        assert response.status_code in (403, 405), f"{method.upper()} {url}: {response.status_code}"
