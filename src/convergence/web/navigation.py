"""The main navigation: entries whose URL is not (yet) routed are left out, not broken."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from convergence.organisations.rules import is_agency_member


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    # who sees it: "all", "authenticated" or "agency"
    audience: str = "all"


NAVIGATION = [
    NavEntry(_("Home"), "web:home"),
    NavEntry(_("Referentials"), "referential:list"),
    NavEntry(_("My products and services"), "catalog:list", "authenticated"),
    NavEntry(_("Assessments"), "assessments:list", "authenticated"),
    NavEntry(_("Review"), "assessments:review_queue", "agency"),
    NavEntry(_("Campaigns"), "campaigns:list", "agency"),
    NavEntry(_("Dashboards"), "analytics:dashboard", "authenticated"),
    NavEntry(_("Import"), "exchange:import", "authenticated"),
    NavEntry(_("Observatory"), "analytics:observatory"),
    NavEntry(_("My organisation"), "organisations:profile", "authenticated"),
    NavEntry(_("Organisations"), "organisations:list", "agency"),
    NavEntry(_("Audit log"), "organisations:audit_log", "authenticated"),
]


def navigation_for(request) -> list[dict]:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    is_agency = user is not None and authenticated and is_agency_member(user)
    entries = []
    for entry in NAVIGATION:
        if entry.audience == "authenticated" and not authenticated:
            continue
        if entry.audience == "agency" and not is_agency:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"label": entry.label, "url": url, "active": active})
    return entries
