"""Reads on personal access tokens: a user sees and revokes only their own (another user's
token is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from convergence.organisations.models import User

from .models import PersonalAccessToken


def tokens_of(user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).select_related("organisation")


def get_token_or_404(user: User, pk: Any) -> PersonalAccessToken:
    try:
        return tokens_of(user).get(pk=pk)
    except (PersonalAccessToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
