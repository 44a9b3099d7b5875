"""Reads on organisations: members, invitations, the audit log, security events."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEntry, Invitation, Membership, Organisation, SecurityEvent
from .tenancy import is_agency


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


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
