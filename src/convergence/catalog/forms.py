from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from convergence.lib.checks import max_length

from .enums import SubjectKind, SubjectStatus
from .models import Subject
from .selectors import current_referential, typology_choices


class SubjectForm(DsfrBaseForm):
    """Declaration of a product or a regional service. Lengths come from the model; the rules
    are `catalog.checks`, run by the service, whose problems the view shows beside their field."""

    name = forms.CharField(label=_("Name"), max_length=max_length(Subject, "name"))
    code = forms.SlugField(
        label=_("Code"),
        max_length=max_length(Subject, "code"),
        required=False,
        help_text=_("Stable identifier used in files and exports; generated from the name when left empty."),
    )
    type_or_category = forms.ChoiceField(label=_("Type"))
    status = forms.ChoiceField(label=_("Status"), choices=SubjectStatus.choices, initial=SubjectStatus.ACTIVE)
    version = forms.CharField(label=_("Version"), max_length=max_length(Subject, "version"), required=False)
    product_reference = forms.CharField(
        label=_("Product reference"),
        max_length=max_length(Subject, "product_reference"),
        required=False,
        help_text=_("Reference of the product in an official listing, if any."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, kind: str, subject: Subject | None = None, **kwargs):
        if subject is not None:
            kwargs.setdefault(
                "initial",
                {
                    field: getattr(subject, field)
                    for field in (
                        "name",
                        "code",
                        "type_or_category",
                        "status",
                        "version",
                        "product_reference",
                    )
                }
                | {"description": subject.description},
            )
        super().__init__(*args, **kwargs)
        self.kind = kind
        choices = typology_choices(referential=current_referential(), kind=kind)
        if subject is not None and subject.type_or_category not in {code for code, _label in choices}:
            # A code of an older edition stays selectable so that an unrelated edit still saves.
            choices.append((subject.type_or_category, subject.type_or_category))
        type_field = self.fields["type_or_category"]
        type_field.choices = [("", "---------"), *choices]  # type: ignore[attr-defined]
        if kind == SubjectKind.SERVICE:
            type_field.label = _("Service type")
            del self.fields["version"]
            del self.fields["product_reference"]
            self.fields["status"].help_text = _(
                "Technical services have no end users; services in deployment are not published yet."
            )
        else:
            type_field.label = _("Product category")
            self.fields["status"].label = _("Deployment status")
            self.fields["status"].help_text = _(
                "Only products in production or in real experiment (active) are assessed."
            )
        if subject is not None:
            self.fields["code"].required = True


class VariantForm(DsfrBaseForm):
    platform = forms.CharField(
        label=_("Platform"),
        max_length=100,
        help_text=_('Appended to the product name, e.g. "iOS Mobile" or "Site Web".'),
    )
