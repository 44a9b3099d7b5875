from django import forms
from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import max_length
from convergence.lib.regions import REGION_CHOICES

from .enums import OrganisationKind, Role, least_powerful
from .models import AuditAction, Organisation

AUDITED_TYPES = [
    ("organisations.organisation", _("Organisation")),
    ("organisations.membership", _("Membership")),
    ("catalog.subject", _("Product or service")),
    ("assessments.campaign", _("Campaign")),
    ("assessments.assessment", _("Assessment")),
    ("assessments.answer", _("Answer")),
    ("referential.referential", _("Referential")),
]


class OrganisationProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=max_length(Organisation, "name"))
    siren = forms.CharField(
        label=_("SIREN"), max_length=11, required=False, help_text=_("9 digits; software vendors only.")
    )


class OrganisationCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    code = forms.SlugField(
        label=_("Code"),
        max_length=max_length(Organisation, "code"),
        help_text=_("Short identifier: a-z, 0-9, '-'."),
    )
    name = forms.CharField(label=_("Name"), max_length=max_length(Organisation, "name"))
    region = forms.ChoiceField(label=_("Region"), choices=[("", "—"), *REGION_CHOICES], required=False)
    siren = forms.CharField(label=_("SIREN"), max_length=11, required=False)
    first_manager_email = forms.EmailField(
        label=_("E-mail of its first account manager"),
        required=False,
        help_text=_("They receive an invitation as mandataire (vendor) or administrator."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]  # type: ignore[attr-defined]
        self.fields["role"].initial = least_powerful(roles)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        from .models import User

        cleaned = super().clean() or {}
        password = cleaned.get("password1")
        if password and password != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            candidate = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    object_type = forms.ChoiceField(
        label=_("Object type"), choices=[("", _("All")), *AUDITED_TYPES], required=False
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All")), *AuditAction.choices], required=False
    )
    user = forms.CharField(label=_("User (e-mail)"), required=False, max_length=254)

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
