"""The doctrine referential: versioned editions, their axes, levels and typology.

Subjects (products, services) refer to a service type or product category by *code*, not by
foreign key: a subject lives across campaigns that may use different editions, and each
edition defines its own typology. The code is resolved against the campaign's edition.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from convergence.organisations.audit import AuditedHistory

from .enums import CommentStatus, CommentTarget, ReferentialStatus

referential_code_validator = RegexValidator(r"^[a-z0-9][a-z0-9.-]*\Z", _("Use a-z, 0-9, '.' and '-'."))
axis_code_validator = RegexValidator(r"^[A-Z0-9_-]+\Z", _("Use A-Z, 0-9, '_' and '-'."))


def localized(french: str, english: str) -> str:
    """The referential's text in the active language: English when asked for and provided,
    else the referential's own (French) wording."""
    if english and (get_language() or "fr").startswith("en"):
        return english
    return french


class Bilingual(models.Model):
    """A name held in French (the referential's language) and optionally in English."""

    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class Referential(models.Model):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[referential_code_validator])
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReferentialStatus.choices, default=ReferentialStatus.DRAFT
    )
    scale_min = models.PositiveSmallIntegerField(_("lowest level"), default=0)
    scale_max = models.PositiveSmallIntegerField(_("highest level"), default=3)
    # SHA-256 of the canonical export: tells "same content" apart from "changed" on re-import.
    content_hash = models.CharField(max_length=64, blank=True)
    # At publication: the edition it was compared with and what changed (comparison.summary()).
    previous_edition = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous edition"),
    )
    publication_changes = models.JSONField(_("changes at publication"), default=dict, blank=True)
    # The edition a draft was made from (its comparison base in the pages); set by the pages.
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derivatives",
        verbose_name=_("derived from"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-published_on", "code"]
        verbose_name = _("referential")
        verbose_name_plural = _("referentials")

    def __str__(self) -> str:
        return self.code

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)

    @property
    def is_published(self) -> bool:
        return self.status == ReferentialStatus.PUBLISHED

    @property
    def levels(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


class ScaleLevel(models.Model):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="scale_levels")
    value = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["referential", "value"]
        constraints = [models.UniqueConstraint(fields=["referential", "value"], name="scale_level_unique")]

    def __str__(self) -> str:
        return localized(self.label, self.label_en)


class Axis(Bilingual):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="axes")
    code = models.CharField(_("code"), max_length=50, validators=[axis_code_validator])
    group = models.CharField(_("group"), max_length=200, blank=True)
    group_en = models.CharField(_("group (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referential", "position"]
        verbose_name = _("axis")
        verbose_name_plural = _("axes")
        constraints = [models.UniqueConstraint(fields=["referential", "code"], name="axis_code_unique")]

    @property
    def display_group(self) -> str:
        return localized(self.group, self.group_en)

    @property
    def display_description(self) -> str:
        return localized(self.description, self.description_en)


class AxisLevel(models.Model):
    """What a given level means on a given axis."""

    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField()
    descriptor = models.TextField()
    descriptor_en = models.TextField(blank=True)

    class Meta:
        ordering = ["axis", "value"]
        constraints = [models.UniqueConstraint(fields=["axis", "value"], name="axis_level_unique")]

    def __str__(self) -> str:
        return f"{self.axis.code} {self.value}"

    @property
    def display_descriptor(self) -> str:
        return localized(self.descriptor, self.descriptor_en)


class AxisAction(models.Model):
    """What to do on an axis to reach a level: the "next step" shown to a declarant whose level
    is below the expected one (an optional key of the referential file, docs/referential.md)."""

    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="actions")
    value = models.PositiveSmallIntegerField(_("level reached"))
    text = models.TextField(_("action"))
    text_en = models.TextField(_("action (English)"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)

    class Meta:
        ordering = ["axis", "value"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [models.UniqueConstraint(fields=["axis", "value"], name="axis_action_unique")]

    def __str__(self) -> str:
        return f"{self.axis.code} → {self.value}"

    @property
    def display_text(self) -> str:
        return localized(self.text, self.text_en)


class BlockerCategory(Bilingual):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="blocker_categories")
    code = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referential", "position"]
        verbose_name = _("blocker category")
        verbose_name_plural = _("blocker categories")
        constraints = [models.UniqueConstraint(fields=["referential", "code"], name="blocker_code_unique")]


class ServiceFamily(Bilingual):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="service_families")
    code = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referential", "position"]
        verbose_name = _("service family")
        verbose_name_plural = _("service families")
        constraints = [models.UniqueConstraint(fields=["referential", "code"], name="family_code_unique")]


class ServiceType(Bilingual):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="service_types")
    family = models.ForeignKey(ServiceFamily, on_delete=models.CASCADE, related_name="types")
    code = models.CharField(max_length=100)
    common_core = models.BooleanField(_("common core"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referential", "family__position", "position"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.UniqueConstraint(fields=["referential", "code"], name="service_type_code_unique")
        ]


class ProductCategory(Bilingual):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="product_categories")
    code = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referential", "position"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        constraints = [models.UniqueConstraint(fields=["referential", "code"], name="category_code_unique")]


class Expectation(models.Model):
    """An axis applies to a service type or product category, with an expected level or none."""

    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="expectations")
    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="expectations")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, null=True, blank=True, related_name="expectations"
    )
    product_category = models.ForeignKey(
        ProductCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="expectations"
    )
    expected_level = models.PositiveSmallIntegerField(_("expected level"), null=True, blank=True)

    class Meta:
        ordering = ["referential", "axis__position"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(service_type__isnull=True) & Q(product_category__isnull=False))
                | (Q(service_type__isnull=False) & Q(product_category__isnull=True)),
                name="expectation_one_target",
            ),
            models.UniqueConstraint(
                fields=["axis", "service_type"],
                condition=Q(service_type__isnull=False),
                name="expectation_type_unique",
            ),
            models.UniqueConstraint(
                fields=["axis", "product_category"],
                condition=Q(product_category__isnull=False),
                name="expectation_category_unique",
            ),
        ]

    def __str__(self) -> str:
        target = self.service_type or self.product_category
        return f"{target} {self.axis.code}={self.expected_level}"


class WorkbookUpload(models.Model):
    """A workbook uploaded in the pages, checked and waiting for its author to confirm it after
    reading the preview of the differences (nothing of the referential is written until then)."""

    class Mode(models.TextChoices):
        NEW = "new", _("a new draft")
        REPLACE = "replace", _("over an existing draft")

    created_by = models.ForeignKey(
        "organisations.User", on_delete=models.CASCADE, related_name="referential_uploads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    mode = models.CharField(max_length=10, choices=Mode.choices)
    code = models.CharField(max_length=100, validators=[referential_code_validator])
    target = models.ForeignKey(Referential, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    base = models.ForeignKey(Referential, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class Consultation(models.Model):
    """The public consultation of a draft edition: between its dates, members of vendors and
    regions read the draft (with its differences from the current edition) and comment on it."""

    referential = models.OneToOneField(
        Referential, on_delete=models.CASCADE, related_name="consultation", verbose_name=_("edition")
    )
    compared_with = models.ForeignKey(
        Referential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current edition"),
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    opened_by = models.ForeignKey(
        "organisations.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="consultation_dates"
            )
        ]

    def __str__(self) -> str:
        return f"consultation {self.referential.code}"

    def is_open_on(self, day) -> bool:  # noqa: ANN001
        return self.opens_on <= day <= self.closes_on


class ConsultationComment(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("organisations.User", on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    target = models.CharField(_("about"), max_length=20, choices=CommentTarget.choices)
    axis_code = models.CharField(_("axis"), max_length=50, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    target_code = models.CharField(_("type or category"), max_length=100, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        "organisations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("consultation comment")
        verbose_name_plural = _("consultation comments")
        indexes = [models.Index(fields=["consultation", "status"])]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        where = " ".join(
            str(part) for part in (self.axis_code, self.level, self.target_code) if part not in ("", None)
        )
        return f"{self.get_target_display()} {where}".strip()

    @property
    def owning_organisation(self):  # noqa: ANN201
        return self.organisation

    @property
    def owning_organisation_id(self) -> int:
        return self.organisation_id

    @property
    def is_answered(self) -> bool:
        return self.status != CommentStatus.PENDING
