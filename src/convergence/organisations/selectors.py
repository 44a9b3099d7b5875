"""Reads on organisations: members, invitations, the audit log, security events."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .enums import OrganisationKind
from .models import AuditAction, AuditEntry, Invitation, Membership, Organisation, SecurityEvent
from .tenancy import is_agency


def agency_reviewers(agency: Organisation | None = None) -> QuerySet:
    """The agency's analysts and administrators (who review, instruct dossiers and are told of
    submissions): active accounts of an active agency, by name. With `agency`, only that
    organisation's, and none if it is not the agency."""
    from django.contrib.auth import get_user_model

    from .rules import AGENCY_REVIEWER_ROLES

    if agency is not None and not is_agency(agency):
        return get_user_model().objects.none()
    membership = {
        "memberships__organisation__kind": OrganisationKind.AGENCY,
        "memberships__organisation__is_active": True,
        "memberships__role__in": AGENCY_REVIEWER_ROLES,
    }
    if agency is not None:
        membership["memberships__organisation"] = agency
    return (
        get_user_model()
        .objects.filter(is_active=True, **membership)  # one filter(): the same membership row
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def existing_organisation_slots(*, exclude_pk: int | None = None) -> set[tuple[str, str]]:
    """The `(kind, region)` a new or changed organisation competes with, in one query: every
    agency and the active ARS and GRADeS (see `checks.organisation_uniqueness_problems`)."""
    competing = Organisation.objects.filter(
        Q(kind=OrganisationKind.AGENCY)
        | Q(kind__in=[OrganisationKind.ARS, OrganisationKind.GRADES], is_active=True)
    )
    if exclude_pk is not None:
        competing = competing.exclude(pk=exclude_pk)
    return set(competing.values_list("kind", "region"))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def get_membership_or_404(organisation: Organisation, pk: int) -> Membership:
    """A membership of the acting organisation; another organisation's is a 404."""
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=pk, organisation=organisation)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def get_invitation_or_404(organisation: Organisation, pk: int) -> Invitation:
    """An invitation of the acting organisation; another organisation's is a 404."""
    invitation = (
        Invitation.objects.select_related("organisation").filter(pk=pk, organisation=organisation).first()
    )
    if invitation is None:
        raise Http404
    return invitation


def pending_invitations_of(organisation: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation=organisation,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def audit_entries_visible_to(organisation: Organisation | None) -> QuerySet[AuditEntry]:
    """The agency reads every entry; any other organisation the entries on its own objects."""
    if organisation is None:
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("user", "acting_organisation", "owner_organisation")
    if is_agency(organisation):
        return entries
    return entries.filter(owner_organisation=organisation)


def filter_audit_entries(entries: QuerySet[AuditEntry], filters: dict) -> QuerySet[AuditEntry]:
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        start = datetime.datetime.combine(filters["date_from"], datetime.time.min, tzinfo=tz)
        entries = entries.filter(occurred_at__gte=start)
    if filters.get("date_to"):
        end = datetime.datetime.combine(
            filters["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        entries = entries.filter(occurred_at__lt=end)
    if filters.get("object_type"):
        entries = entries.filter(object_type=filters["object_type"])
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    if filters.get("user"):
        entries = entries.filter(user__email__icontains=filters["user"].strip())
    return entries


def security_events() -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.select_related("user", "organisation")


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's verbose name, in the reader's language
    old: str
    new: str


# Bookkeeping columns that change on every save and tell the reader nothing.
AUDIT_UNSHOWN_FIELDS = ("updated_at", "created_at", "version", "token_hash")


def _shown(model: type[models.Model], name: str, value: object) -> str:
    """A field's value as the reader reads it: a choice's label, yes/no, a dash for nothing."""
    if value is None or value == "":
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = getattr(field, "flatchoices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime | datetime.date):
        return date_format(
            timezone.localtime(value) if isinstance(value, datetime.datetime) else value,
            "SHORT_DATETIME_FORMAT" if isinstance(value, datetime.datetime) else "SHORT_DATE_FORMAT",
        )
    text = str(value)
    return text if len(text) <= 120 else f"{text[:119]}…"


def audit_entry_changes(entries: list[AuditEntry]) -> dict[int, list[FieldChange]]:
    """For each changed ("~") entry of a page, its fields old → new, from the model's historical
    table compared with the record before it. Two queries per kind of object on the page (the
    records with the id of their predecessor, then the predecessors), whatever the page's length."""
    by_model: dict[str, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        if entry.action == AuditAction.CHANGED:
            by_model[entry.history_model].append(entry)
    changes: dict[int, list[FieldChange]] = {}
    for label, group in by_model.items():
        try:
            history = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        model = history.instance_type  # type: ignore[attr-defined]
        earlier = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by(
            "-history_id"
        )
        records = {
            record.history_id: record
            for record in history.objects.filter(history_id__in=[e.history_id for e in group]).annotate(
                previous_id=Subquery(earlier.values("history_id")[:1])
            )
        }
        previous = {
            record.history_id: record
            for record in history.objects.filter(
                history_id__in=[r.previous_id for r in records.values() if r.previous_id]
            )
        }
        excluded = [f.name for f in model._meta.concrete_fields if f.name in AUDIT_UNSHOWN_FIELDS]
        for entry in group:
            record = records.get(entry.history_id)
            before = previous.get(record.previous_id) if record is not None else None
            if record is None or before is None:
                continue
            delta = record.diff_against(before, excluded_fields=excluded)
            changes[entry.pk] = [
                FieldChange(
                    field=str(getattr(model._meta.get_field(c.field), "verbose_name", c.field)),
                    old=_shown(model, c.field, c.old),
                    new=_shown(model, c.field, c.new),
                )
                for c in delta.changes
            ]
    return changes


def organisations_visible_to(organisation: Organisation | None) -> QuerySet[Organisation]:
    """Organisations an organisation may look up: the agency every one; any other its own."""
    if organisation is None:
        return Organisation.objects.none()
    if is_agency(organisation):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=organisation.pk)
