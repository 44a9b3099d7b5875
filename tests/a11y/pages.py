"""The pages of every role, for the accessibility tests: the URL walk of the executable access
policy (tests/organisations/test_access_policy.py), reused rather than copied. A page is a GET of
a named URL that the role is allowed (its policy value says so, and with the role's own objects
in the kwargs), answering 200 with an HTML document. Third-party URLs come along (allauth's account pages);
the Django admin (staff only, its own look) and the REST endpoints (JSON) do not."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django.urls import NoReverseMatch

from tests.organisations.test_access_policy import (
    ALLOW,
    QUERY,
    ROUTES,
    Route,
    World,
    build_world,
    expected_for,
    route_kwargs,
    route_url,
)

__all__ = ["ROLES", "Page", "World", "build_world", "pages_for", "client_for"]

# other_member is a mandataire like account_manager: with the first vendor's objects it gets
# 404s (one page, visited as a key state below), not pages of its own.
ROLES = (
    "anonymous",
    "employee",
    "account_manager",
    "regional_contributor",
    "regional_manager",
    "agency_analyst",
)


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, or the name of a key state ("catalog:create (errors)")
    url: str


def client_for(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _candidate(route: Route) -> bool:
    return not (route.is_api or route.full_name.startswith("admin:") or route.policy == "staff")


def pages_for(world: World, role: str, client: Client) -> list[Page]:
    """The GET pages the role may see, in URL-name order (each asked once with the test client to
    keep those that answer 200 with HTML: a redirect, a download or a 405 is not a page)."""
    pages = []
    for route in ROUTES:
        if not _candidate(route) or expected_for(route, role) != ALLOW:
            continue
        try:
            url = route_url(route, route_kwargs(route, world, role))
        except (AssertionError, NoReverseMatch, KeyError, AttributeError):
            # A URL whose area has not given the policy walk its kwargs builder yet: the access
            # policy test fails on it; here it is left out rather than hiding every other page.
            continue
        if route.full_name in QUERY:
            url = f"{url}?{QUERY[route.full_name](world, role)}"
        response = client.get(url)
        if (
            response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            # A whole document, not an htmx fragment (a progress bar polled into its page, which
            # is audited as part of that page).
            and b"<html" in response.content[:2000].lower()
        ):
            pages.append(Page(route.full_name, url))
    return pages
