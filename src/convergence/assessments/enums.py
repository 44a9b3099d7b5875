from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignScope(models.TextChoices):
    PRODUCTS = "products", _("Products")
    SERVICES = "services", _("Regional services")
    BOTH = "both", _("Products and regional services")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("In preparation")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    VALIDATED = "validated", _("Validated")


# Statuses whose figures count in reports.
REPORTED_STATUSES = (AssessmentStatus.SUBMITTED, AssessmentStatus.VALIDATED)
# Statuses in which the organisation may still edit its answers.
EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)


# --- Review ------------------------------------------------------------------------------------------


class CommentSide(models.TextChoices):
    """Who wrote a message of an axis's thread."""

    REVIEWER = "reviewer", _("Agency reviewer")
    DECLARANT = "declarant", _("Declarant")
