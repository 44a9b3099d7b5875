from django import template

from convergence.lib.regions import region_label
from convergence.organisations import tenancy
from convergence.organisations.rules import membership_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def organisation_switcher(context) -> dict:
    """The user's organisations and the acting one, for the header switcher. Reuses the
    membership rows the permission checks already loaded (no query of its own when cached)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"organisations": [], "acting_id": None, "acting_name": ""}
    organisations = [(org_id, name) for org_id, _role, _kind, name in membership_rows(user)]
    acting_id = None
    if len(organisations) == 1:
        acting_id = organisations[0][0]
    elif organisations:
        chosen = request.session.get(tenancy.SESSION_KEY) if hasattr(request, "session") else None
        ids = [org_id for org_id, _ in organisations]
        # Same choice as tenancy.acting_membership: the session's, else the first by name.
        acting_id = chosen if chosen in ids else ids[0]
    acting_name = next((name for org_id, name in organisations if org_id == acting_id), "")
    return {"organisations": organisations, "acting_id": acting_id, "acting_name": acting_name}


@register.filter
def region(code: str | None) -> str:
    """ "76 Occitanie" / "76 Occitania": a region code and its name in the active language."""
    return f"{code} {region_label(code)}" if code else ""
