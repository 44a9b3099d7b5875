from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from convergence.assessments.models import Campaign

EXPORT_FORMATS = [("xlsx", "XLSX"), ("csv", "CSV"), ("json", "JSON")]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Dataset file (CSV or XLSX)"),
        help_text=_("One row per answer; the columns of the template below. At most one campaign per file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "fr-upload"}),
    )


class CampaignFileForm(forms.Form):
    """A campaign and a file format (templates and exports)."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        to_field_name="code",
        empty_label=None,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=EXPORT_FORMATS, widget=forms.Select(attrs={"class": "fr-select"})
    )

    def __init__(self, *args, campaigns: QuerySet[Campaign], formats=EXPORT_FORMATS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["format"].choices = formats  # type: ignore[attr-defined]
