"""Admin of the referential: drafts are edited here; published editions are read-only.

A published edition is what campaigns were scored against: changing it would silently re-score
history, so every change permission answers False once it is published (the admin then shows
it read-only). Publishing and retiring go through the service functions, after a confirmation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .enums import ReferentialStatus
from .models import (
    Axis,
    AxisAction,
    AxisLevel,
    BlockerCategory,
    Expectation,
    ProductCategory,
    Referential,
    ScaleLevel,
    ServiceFamily,
    ServiceType,
)
from .services import referential_content_hash, referential_publish, referential_retire


def _referential_of(obj: Any) -> Referential | None:
    if obj is None:
        return None
    if isinstance(obj, Referential):
        return obj
    if isinstance(obj, AxisLevel):
        return obj.axis.referential
    return getattr(obj, "referential", None)


def _is_editable(obj: Any) -> bool:
    referential = _referential_of(obj)
    return referential is None or referential.status == ReferentialStatus.DRAFT


def _refresh_hash(obj: Any) -> None:
    referential = _referential_of(obj)
    if referential is not None and referential.pk:
        Referential.objects.filter(pk=referential.pk).update(
            content_hash=referential_content_hash(referential)
        )


class DraftOnlyMixin:
    """Change, add and delete only while the referential is a draft."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _is_editable(obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and _is_editable(obj)  # type: ignore[misc]


class DraftOnlyInline(DraftOnlyMixin):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and _is_editable(obj)  # type: ignore[misc]


class ScaleLevelInline(DraftOnlyInline, admin.TabularInline):
    model = ScaleLevel


class AxisInline(DraftOnlyInline, admin.TabularInline):
    model = Axis
    fields = ["position", "code", "name", "name_en", "group", "group_en"]
    show_change_link = True  # descriptors are edited on the axis's own page


class BlockerCategoryInline(DraftOnlyInline, admin.TabularInline):
    model = BlockerCategory
    fields = ["position", "code", "name", "name_en"]


class ServiceFamilyInline(DraftOnlyInline, admin.TabularInline):
    model = ServiceFamily
    fields = ["position", "code", "name", "name_en"]
    show_change_link = True


class ProductCategoryInline(DraftOnlyInline, admin.TabularInline):
    model = ProductCategory
    fields = ["position", "code", "name", "name_en"]
    show_change_link = True


class RefreshHashMixin:
    def save_related(self, request, form, formsets, change):  # noqa: ANN001, ANN201
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        _refresh_hash(form.instance)


@admin.register(Referential)
class ReferentialAdmin(RefreshHashMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "title", "status", "published_on", "updated_at"]
    list_filter = ["status"]
    search_fields = ["code", "title", "title_en"]
    readonly_fields = ["status", "published_on", "content_hash", "created_at", "updated_at"]
    fields = [
        "code",
        "title",
        "title_en",
        ("scale_min", "scale_max"),
        "status",
        "published_on",
        "content_hash",
        ("created_at", "updated_at"),
    ]
    inlines = [
        ScaleLevelInline,
        AxisInline,
        BlockerCategoryInline,
        ServiceFamilyInline,
        ProductCategoryInline,
    ]
    actions = ["publish", "retire"]

    def _confirm(self, request, queryset, action: str, title: str | Promise, question: str | Promise):  # noqa: ANN001, ANN201
        return TemplateResponse(
            request,
            "referential/admin_confirm_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "question": question,
                "objects": queryset,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description=_("Publish the selected drafts (they become read-only)"), permissions=["change"]
    )
    def publish(self, request, queryset):  # noqa: ANN001, ANN201
        drafts = queryset.filter(status=ReferentialStatus.DRAFT)
        if "confirm" not in request.POST:
            return self._confirm(
                request,
                queryset,
                "publish",
                _("Publish referentials"),
                _("Once published, an edition can no longer be changed. Publish these drafts today?"),
            )
        published, problems = 0, []
        for referential in drafts:
            try:
                referential_publish(referential=referential)
                published += 1
            except ValueError as error:
                problems.append(str(error))
        skipped = queryset.exclude(status=ReferentialStatus.DRAFT).count()
        if published:
            self.message_user(
                request,
                ngettext("%(n)d referential published.", "%(n)d referentials published.", published)
                % {"n": published},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request, _("Only drafts can be published; %(n)d skipped.") % {"n": skipped}, messages.WARNING
            )
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        return None

    @admin.action(description=_("Retire the selected published referentials"), permissions=["change"])
    def retire(self, request, queryset):  # noqa: ANN001, ANN201
        if "confirm" not in request.POST:
            return self._confirm(
                request,
                queryset,
                "retire",
                _("Retire referentials"),
                _("A retired edition stays readable but is not offered for new campaigns. Retire them?"),
            )
        retired = 0
        with transaction.atomic():
            for referential in queryset.filter(status=ReferentialStatus.PUBLISHED):
                referential_retire(referential=referential)
                retired += 1
        skipped = queryset.count() - retired
        self.message_user(
            request,
            ngettext("%(n)d referential retired.", "%(n)d referentials retired.", retired) % {"n": retired},
            messages.SUCCESS if retired else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                _("Only published referentials can be retired; %(n)d skipped.") % {"n": skipped},
                messages.WARNING,
            )
        return None


class AxisLevelInline(DraftOnlyInline, admin.TabularInline):
    model = AxisLevel


class AxisActionInline(DraftOnlyInline, admin.TabularInline):
    model = AxisAction


@admin.register(Axis)
class AxisAdmin(RefreshHashMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "group", "referential", "position"]
    list_filter = ["referential"]
    search_fields = ["code", "name", "name_en"]
    inlines = [AxisLevelInline, AxisActionInline]

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        return ["referential"] if obj is not None else []


class ExpectationInline(DraftOnlyInline, admin.TabularInline):
    model = Expectation
    fields = ["axis", "expected_level"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # noqa: ANN001, ANN201
        # Only the axes of the same edition can apply.
        if db_field.name == "axis":
            parent = self._parent(request)
            if parent is not None:
                kwargs["queryset"] = Axis.objects.filter(referential=parent.referential)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _parent(self, request):  # noqa: ANN001, ANN202
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if object_id is None:
            return None
        return self.parent_model.objects.filter(pk=object_id).select_related("referential").first()


class ExpectationOwnerAdmin(RefreshHashMixin, DraftOnlyMixin, admin.ModelAdmin):
    inlines = [ExpectationInline]

    def save_formset(self, request, form, formset, change):  # noqa: ANN001, ANN201
        if formset.model is Expectation:
            for expectation in formset.save(commit=False):
                expectation.referential = form.instance.referential
                expectation.save()
            for removed in formset.deleted_objects:
                removed.delete()
            return
        super().save_formset(request, form, formset, change)

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        return ["referential"] if obj is not None else []


@admin.register(ServiceType)
class ServiceTypeAdmin(ExpectationOwnerAdmin):
    list_display = ["code", "name", "family", "common_core", "referential"]
    list_filter = ["referential", "common_core"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(ExpectationOwnerAdmin):
    list_display = ["code", "name", "referential"]
    list_filter = ["referential"]
    search_fields = ["code", "name", "name_en"]


class ServiceTypeInline(DraftOnlyInline, admin.TabularInline):
    model = ServiceType
    fields = ["position", "code", "name", "name_en", "common_core"]
    show_change_link = True


@admin.register(ServiceFamily)
class ServiceFamilyAdmin(RefreshHashMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "referential"]
    list_filter = ["referential"]
    inlines = [ServiceTypeInline]

    def save_formset(self, request, form, formset, change):  # noqa: ANN001, ANN201
        if formset.model is ServiceType:
            for service_type in formset.save(commit=False):
                service_type.referential = form.instance.referential
                service_type.save()
            for removed in formset.deleted_objects:
                removed.delete()
            return
        super().save_formset(request, form, formset, change)

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        return ["referential"] if obj is not None else []


@admin.register(BlockerCategory)
class BlockerCategoryAdmin(RefreshHashMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "referential"]
    list_filter = ["referential"]
