from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferentialStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")
