from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    SERVICE = "service", _("Regional service")
    PRODUCT = "product", _("Product")


class SubjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DEPLOYING = "deploying", _("In deployment")
    TECHNICAL = "technical", _("Technical")
    RETIRED = "retired", _("Retired")
