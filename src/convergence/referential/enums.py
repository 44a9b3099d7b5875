from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferentialStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class CommentTarget(models.TextChoices):
    """What a consultation comment is about."""

    AXIS = "axis", _("An axis")
    DESCRIPTOR = "descriptor", _("A level descriptor")
    EXPECTED = "expected", _("An expected level")
    TYPE = "type", _("A service type or product category")


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")


ANSWERED_STATUSES = (CommentStatus.ACCEPTED, CommentStatus.REJECTED, CommentStatus.DEFERRED)
