"""The main navigation: top-level links and DSFR drop-down menus, filtered by audience.

Entries whose URL is not routed are left out rather than breaking the page; a menu left with no
entry is left out too.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from convergence.organisations.rules import is_agency_member
from convergence.organisations.tenancy import acting_organisation


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str = ""
    # who sees it: "all", "authenticated", "vendor" (the benchmark), "manager" (account managers
    # of the acting organisation and the agency) or "agency"
    audience: str = "all"
    children: tuple["NavEntry", ...] = field(default=())


NAVIGATION = [
    NavEntry(_("Home"), "web:home"),
    NavEntry(_("Referentials"), "referential:list"),
    NavEntry(
        _("Declarations"),
        audience="authenticated",
        children=(
            NavEntry(_("My products and services"), "catalog:list"),
            NavEntry(_("Assessments"), "assessments:list"),
            NavEntry(_("Import"), "exchange:import"),
            NavEntry(_("Exports"), "exchange:exports"),
        ),
    ),
    NavEntry(
        _("Agency"),
        audience="agency",
        children=(
            NavEntry(_("Review"), "assessments:review_queue"),
            NavEntry(_("Campaigns"), "campaigns:list"),
            NavEntry(_("Organisations"), "organisations:list"),
        ),
    ),
    NavEntry(
        _("Reports"),
        children=(
            NavEntry(_("Dashboards"), "analytics:dashboard", "authenticated"),
            NavEntry(_("Peer benchmark"), "analytics:benchmark", "vendor"),
            NavEntry(_("Observatory"), "analytics:observatory"),
        ),
    ),
    NavEntry(
        _("My organisation"),
        audience="authenticated",
        children=(
            NavEntry(_("Profile and members"), "organisations:profile"),
            NavEntry(_("Audit log"), "organisations:audit_log", "manager"),
            NavEntry(_("API access tokens"), "api:tokens"),
            NavEntry(_("API documentation"), "api:docs"),
        ),
    ),
]


def _audiences(request) -> set[str]:
    user = getattr(request, "user", None)
    audiences = {"all"}
    if user is not None and user.is_authenticated:
        audiences.add("authenticated")
        if is_agency_member(user):
            audiences.add("agency")
        if user.memberships.filter(organisation__kind="vendor").exists():
            audiences.add("vendor")
        if user.has_perm("organisations.view_audit_log", acting_organisation(request)):
            audiences.add("manager")
    return audiences


def _link(entry: NavEntry, path: str) -> dict | None:
    try:
        url = reverse(entry.url_name)
    except NoReverseMatch:
        return None
    active = path == url if url == "/" else path.startswith(url)
    return {"label": entry.label, "url": url, "active": active}


def navigation_for(request) -> list[dict]:
    """Items for the template: links `{label, url, active}` and menus `{label, id, children, active}`."""
    audiences = _audiences(request)
    items = []
    for position, entry in enumerate(NAVIGATION):
        if entry.audience not in audiences:
            continue
        if not entry.children:
            if link := _link(entry, request.path):
                items.append(link)
            continue
        children = [
            link
            for child in entry.children
            if child.audience in audiences and (link := _link(child, request.path))
        ]
        if children:
            items.append(
                {
                    "label": entry.label,
                    "id": f"nav-menu-{position}",
                    "children": children,
                    "active": any(child["active"] for child in children),
                }
            )
    return items


def navigation_links(items: list[dict]) -> list[dict]:
    """Every link of the navigation, menus flattened (the home page's shortcuts)."""
    return [link for item in items for link in item.get("children", [item])]
