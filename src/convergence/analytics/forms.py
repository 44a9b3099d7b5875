"""Filters of the dashboards and the publication form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from convergence.assessments.selectors import campaigns_visible_to
from convergence.lib.regions import region_choices
from convergence.referential.models import ProductCategory, ServiceType, localized

from .engine import DEFAULT_MIN_CELL
from .selectors import campaigns_with_figures


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


SCOPE_CHOICES = [("services", _("Regional services")), ("products", _("Products"))]


def campaign_choices() -> list[tuple[str, str]]:
    campaigns = campaigns_visible_to(None)  # what anyone may see: open and closed campaigns
    return [(c.code, f"{c.title} ({c.code})") for c in campaigns.order_by("-closes_on", "code")]


def default_campaign(choices: list[tuple[str, str]]) -> str | None:
    """The campaign a report page opens on: the newest (first) of `choices` with submitted or
    validated assessments, else the newest: a campaign just opened has nothing to show yet."""
    with_figures = campaigns_with_figures()
    return next(
        (code for code, _label in choices if code in with_figures), choices[0][0] if choices else None
    )


class DashboardFilterForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"))
    scope = forms.ChoiceField(label=_("Scope"), choices=SCOPE_CHOICES, initial="services")
    region = forms.ChoiceField(label=_("Region"), required=False)
    category = forms.ChoiceField(label=_("Type or category"), required=False)
    compare_with = forms.ChoiceField(label=_("Compare with the campaign"), required=False)

    def __init__(self, *args, fixed_region: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = campaign_choices()
        _choice(self, "campaign").choices = campaigns
        if campaigns and not self.is_bound:
            self.initial.setdefault("campaign", default_campaign(campaigns))
        _choice(self, "compare_with").choices = [("", _("No comparison")), *campaigns]
        self.fixed_region = fixed_region
        if fixed_region:
            # A region member sees its own region (beside the national figures): no choice.
            _choice(self, "region").choices = [(c, n) for c, n in region_choices() if c == fixed_region]
            self.fields["region"].initial = fixed_region
            self.fields["region"].disabled = True
        else:
            _choice(self, "region").choices = [("", _("National")), *region_choices()]
        # Every edition's types, then categories, by name in the page's language; a code shared
        # by several editions is listed once.
        seen: set[str] = set()
        choices: list[tuple[str, Any]] = [("", _("All types and categories"))]
        for model in (ServiceType, ProductCategory):
            named = sorted(
                (localized(name, name_en), code)
                for code, name, name_en in model.objects.values_list("code", "name", "name_en")
            )
            for name, code in named:
                if code not in seen:
                    seen.add(code)
                    choices.append((code, f"{name} ({code})"))
        _choice(self, "category").choices = choices
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "fr-select")

    def clean(self):
        data = super().clean() or {}
        if data.get("compare_with") and data.get("compare_with") == data.get("campaign"):
            self.add_error("compare_with", _("Choose another campaign than the one shown."))
        return data


class PublishForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"))
    scope = forms.ChoiceField(label=_("Scope"), choices=SCOPE_CHOICES)
    region = forms.ChoiceField(label=_("Region"), required=False)
    min_cell = forms.IntegerField(
        label=_("Smallest group shown (K)"),
        min_value=2,
        max_value=100,
        initial=DEFAULT_MIN_CELL,
        help_text=_("Groups of fewer subjects than this are suppressed in the published figures."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = campaign_choices()
        _choice(self, "campaign").choices = campaigns
        if campaigns and not self.is_bound:
            self.initial.setdefault("campaign", default_campaign(campaigns))
        _choice(self, "region").choices = [("", _("National")), *region_choices()]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "fr-input" if name == "min_cell" else "fr-select")


class ObservatoryFilterForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    scope = forms.ChoiceField(label=_("Scope"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _choice(self, "campaign").choices = [("", _("All campaigns")), *campaign_choices()]
        _choice(self, "scope").choices = [("", _("All scopes")), *SCOPE_CHOICES]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "fr-select")
