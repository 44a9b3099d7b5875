"""The global search (the header's box): organisations, products and services, campaigns, by
name, code or SIREN, among what the acting organisation may see. Each kind is read through its
own app's selector with the acting organisation: visibility is never decided here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from convergence.assessments.selectors import campaigns_visible_to
from convergence.catalog.selectors import subjects_visible_to
from convergence.organisations.models import Organisation
from convergence.organisations.selectors import organisations_visible_to
from convergence.organisations.tenancy import is_agency

MIN_LENGTH = 2


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise


KINDS = (
    Kind("subjects", _("Products and services")),
    Kind("organisations", _("Organisations")),
    Kind("campaigns", _("Campaigns")),
)


def _subjects(organisation: Organisation | None, text: str) -> QuerySet:
    return (
        subjects_visible_to(organisation)
        .filter(
            Q(name__icontains=text)
            | Q(code__icontains=text)
            | Q(product_reference__icontains=text)
            | Q(organisation__siren=text.replace(" ", ""))
        )
        .select_related("organisation")
        .order_by("name", "code")
    )


def _organisations(organisation: Organisation | None, text: str) -> QuerySet:
    return (
        organisations_visible_to(organisation)
        .filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(siren=text.replace(" ", "")))
        .order_by("name")
    )


def _campaigns(organisation: Organisation | None, text: str) -> QuerySet:
    return (
        campaigns_visible_to(organisation)
        .filter(Q(title__icontains=text) | Q(code__icontains=text))
        .order_by("-opens_on", "code")
    )


QUERIES = {"subjects": _subjects, "organisations": _organisations, "campaigns": _campaigns}


def search(organisation: Organisation | None, kind: str, text: str) -> QuerySet:
    """The matches of one kind (a queryset, paginated by the page)."""
    return QUERIES[kind](organisation, text)


def result_url(organisation: Organisation | None, kind: str, obj) -> str:
    """Where a result leads: the page the acting organisation may open for it."""
    if kind == "subjects":
        return reverse("catalog:detail", args=[obj.pk])
    if kind == "organisations":
        if is_agency(organisation):
            return f"{reverse('organisations:list')}?{urlencode({'q': obj.name})}"
        return reverse("organisations:profile")
    if is_agency(organisation):
        return reverse("campaigns:detail", args=[obj.pk])
    return f"{reverse('assessments:list')}?{urlencode({'campaign': obj.code})}"
