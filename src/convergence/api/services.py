"""Writes on personal access tokens."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from convergence.organisations.models import Membership, Organisation, User

from .models import PersonalAccessToken, token_generate, token_hash


@transaction.atomic
def token_create(
    *, user: User, organisation: Organisation, name: str, expires_in_days: int | None = 90
) -> tuple[PersonalAccessToken, str]:
    """Create a token for a member; returns the record and the raw token (shown once)."""
    if not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise PermissionDenied("not a member of this organisation")
    raw = token_generate()
    expires_at = timezone.now() + datetime.timedelta(days=expires_in_days) if expires_in_days else None
    token = PersonalAccessToken.objects.create(
        user=user,
        organisation=organisation,
        name=name.strip()[:100],
        token_hash=token_hash(raw),
        prefix=raw[:12],
        expires_at=expires_at,
    )
    return token, raw


def token_revoke(*, token: PersonalAccessToken) -> PersonalAccessToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
