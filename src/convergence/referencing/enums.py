from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ProgrammeScope(models.TextChoices):
    PRODUCTS = "products", _("Products")
    SERVICES = "services", _("Regional services")


class DossierStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INSTRUCTION = "instruction", _("Under instruction")
    COMPLEMENTS = "complements", _("Complements requested")
    COMMISSION = "commission", _("Before the commission")
    DECIDED = "decided", _("Decided")


class Opinion(models.TextChoices):
    FAVOURABLE = "favourable", _("Favourable")
    RESERVATIONS = "reservations", _("Favourable with non-suspensive reservations")
    SUSPENSIVE = "suspensive", _("Favourable with suspensive reservations")
    UNFAVOURABLE = "unfavourable", _("Unfavourable")


FAVOURABLE_OPINIONS = (Opinion.FAVOURABLE, Opinion.RESERVATIONS, Opinion.SUSPENSIVE)


class AwardStatus(models.TextChoices):
    """The recorded status; `AwardState` adds what the dates decide (expired, lapsed)."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AwardState(models.TextChoices):
    VALID = "valid", _("Valid")
    VALID_RESERVATIONS = "valid_reservations", _("Valid, suspensive reservations to lift")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    LAPSED = "lapsed", _("Lapsed: suspensive reservations not lifted in time")


class AuditStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class AuditOutcome(models.TextChoices):
    NONE = "none", _("No measure")
    SUSPENDED = "suspended", _("Award suspended")
    WITHDRAWN = "withdrawn", _("Award withdrawn")
