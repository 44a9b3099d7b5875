"""The audit trail: who changed what, for which organisation.

Audited models declare ``history = AuditedHistory()`` (django-simple-history with an extra
``acting_organisation`` column on the historical table). simple-history's
``HistoryRequestMiddleware`` puts the request in ``HistoricalRecords.context``; the signal
handler below reads the acting organisation from it and also writes one `AuditEntry` per
historical record, which is what the audit log page lists (one indexed table instead of a union
of every historical table).

Changes made outside a request (commands, imports, tasks) record no user and no acting
organisation unless the caller sets ``HistoricalRecords.context.request`` or passes
``_change_reason``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record


class AuditHistoryBase(models.Model):
    acting_organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


def AuditedHistory(**kwargs: Any) -> HistoricalRecords:  # noqa: N802 (reads like the class it builds)
    """HistoricalRecords whose rows also say from which organisation the change was made."""
    return HistoricalRecords(bases=[AuditHistoryBase], **kwargs)


def _request_acting_organisation_id() -> int | None:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from .tenancy import acting_membership

    membership = acting_membership(request)
    return membership.organisation_id if membership else None


def owner_organisation_id(instance: models.Model) -> int | None:
    """The id of the organisation an audited object belongs to (None: agency-wide objects such
    as campaigns and referentials). Each audited tenant model says it through an
    ``owning_organisation_id`` property that costs no query when the relation is loaded."""
    return getattr(instance, "owning_organisation_id", None)


def object_repr(instance: models.Model) -> str:
    """A short label that needs no extra query (``str()`` of an answer walks three relations):
    the model's ``audit_label()`` when it has one, else its name, title or code."""
    label = getattr(instance, "audit_label", None)
    if callable(label):
        return str(label())[:300]
    for attribute in ("name", "title", "code"):
        value = getattr(instance, attribute, None)
        if value:
            return str(value)[:300]
    return f"{instance._meta.verbose_name} #{instance.pk}"


def _set_acting_organisation(sender, instance, history_instance, **kwargs: Any) -> None:
    if (
        hasattr(history_instance, "acting_organisation_id")
        and history_instance.acting_organisation_id is None
    ):
        history_instance.acting_organisation_id = _request_acting_organisation_id()


def _write_audit_entry(sender, instance, history_instance, **kwargs: Any) -> None:
    from .models import AuditEntry

    AuditEntry.objects.create(
        occurred_at=history_instance.history_date,
        action=history_instance.history_type,
        user_id=history_instance.history_user_id,
        acting_organisation_id=getattr(history_instance, "acting_organisation_id", None),
        owner_organisation_id=owner_organisation_id(instance),
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=object_repr(instance),
        change_reason=(history_instance.history_change_reason or "")[:300],
        history_model=history_instance._meta.label_lower,
        history_id=history_instance.pk,
    )


pre_create_historical_record.connect(_set_acting_organisation, dispatch_uid="audit_acting_organisation")
post_create_historical_record.connect(_write_audit_entry, dispatch_uid="audit_entry")
