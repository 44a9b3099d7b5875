"""Reads on organisations: members, invitations, the audit log, security events."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .enums import OrganisationKind
from .models import AuditEntry, Invitation, Membership, Organisation, SecurityEvent
from .tenancy import is_agency


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
