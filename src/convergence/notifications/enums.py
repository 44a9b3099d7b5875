from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationEvent(models.TextChoices):
    """Every workflow event a person can be told about (in the bell and, per their preferences,
    by e-mail). Apps above name the event they emit; this list is the one place they are kept."""

    ASSESSMENT_SUBMITTED = "assessment_submitted", _("Assessment submitted")
    ASSESSMENT_VALIDATED = "assessment_validated", _("Assessment validated")
    ASSESSMENT_RETURNED = "assessment_returned", _("Assessment returned for correction")
    CAMPAIGN_CLOSING = "campaign_closing", _("Campaign closing")
    DOSSIER_SUBMITTED = "dossier_submitted", _("Referencing dossier submitted")
    DOSSIER_INSTRUCTION = "dossier_instruction", _("Referencing dossier under instruction")
    COMPLEMENTS_REQUESTED = "complements_requested", _("Complements requested")
    COMPLEMENTS_ANSWERED = "complements_answered", _("Complements answered")
    DOSSIER_COMMISSION = "dossier_commission", _("Referencing dossier sent to the commission")
    DECISION = "decision", _("Commission decision")
    RESERVATIONS_DUE = "reservations_due", _("Reservations due")
    RESERVATIONS_LIFTED = "reservations_lifted", _("Reservations lifted")
    AWARD_EXPIRING = "award_expiring", _("Award expiring")
    AWARD_SUSPENDED = "award_suspended", _("Award suspended")
    AWARD_WITHDRAWN = "award_withdrawn", _("Award withdrawn")
    AWARD_REVIEW = "award_review", _("Award to review")
    NONCONFORMITY_REPORTED = "nonconformity_reported", _("Report of non-conformity")
    AUDIT_OPENED = "audit_opened", _("Audit opened")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the application")
    EMAIL = "email", _("By e-mail")
