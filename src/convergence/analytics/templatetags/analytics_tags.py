from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value, digits: int = 0):
    """0.9967 -> "99.7 %" (localised); None -> an en dash."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, int(digits))} %"


@register.filter
def decimal(value, digits: int = 2):
    if value is None:
        return "—"
    return number_format(value, int(digits))


@register.filter
def cell(value):
    """A count that may be suppressed (None)."""
    if value is None:
        return _("< threshold")
    return number_format(value, 0, force_grouping=True)


@register.filter
def get(mapping, key):
    if not mapping:
        return None
    return mapping.get(str(key))


@register.filter
def heat(value):
    """A CSS class for a reached rate (the number is always printed too)."""
    if value is None:
        return "heat-none"
    return f"heat-{min(int(value * 5), 4)}"
