"""Search, filters and sorting of the catalog list (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from convergence.lib.regions import region_choices
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import is_agency, organisations_visible_to

from .enums import SubjectKind, SubjectStatus
from .models import Subject
from .selectors import current_referential, typology_choices


class SubjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search (name, code, reference)"))
    kind = django_filters.ChoiceFilter(choices=SubjectKind.choices, label=_("Kind"), empty_label=_("All"))
    status = django_filters.ChoiceFilter(
        choices=SubjectStatus.choices, label=_("Status"), empty_label=_("All")
    )
    type_or_category = django_filters.ChoiceFilter(label=_("Type or category"), empty_label=_("All"))
    region = django_filters.ChoiceFilter(
        choices=region_choices, label=_("Region"), empty_label=_("All regions")
    )
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.none(), label=_("Organisation"), empty_label=_("All organisations")
    )
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("code", "code"), ("status", "status"), ("updated_at", "updated_at")),
        field_labels={
            "name": _("Name"),
            "code": _("Code"),
            "status": _("Status"),
            "updated_at": _("Last change"),
        },
        label=_("Sort by"),
        empty_label=_("Name"),
    )

    class Meta:
        model = Subject
        fields: list[str] = []

    def __init__(self, *args, acting: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["type_or_category"].extra["choices"] = typology_choices(
            referential=current_referential(), kind=None
        )
        if is_agency(acting):
            self.filters["organisation"].queryset = organisations_visible_to(acting).exclude(kind="agency")
        else:
            # Only the agency spans several organisations: the filter would be noise elsewhere.
            del self.filters["organisation"]
        for name in self.filters:
            css = "fr-select" if name != "q" else "fr-input"
            self.form.fields[name].widget.attrs.setdefault("class", css)

    def search(self, queryset: QuerySet[Subject], name: str, value: str) -> QuerySet[Subject]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(product_reference__icontains=value)
        )
