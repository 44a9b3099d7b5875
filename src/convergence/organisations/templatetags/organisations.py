from django import template

from convergence.organisations import access

register = template.Library()


@register.simple_tag(takes_context=True)
def organisation_switcher(context) -> dict:
    """The user's memberships and the acting one, for the header switcher (one query, cached)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"memberships": [], "acting": None}
    if not hasattr(request, "_organisation_switcher"):
        memberships = list(access.memberships_of(user).order_by("organisation__name"))
        request._organisation_switcher = {
            "memberships": memberships,
            "acting": access.acting_membership(request),
        }
    return request._organisation_switcher
