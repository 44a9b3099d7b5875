"""`Authorization: Bearer cvg_...`: a personal access token acting for one organisation."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from convergence.organisations.models import Membership
from convergence.organisations.security import two_factor_setup_required

from .models import TOKEN_PREFIX, PersonalAccessToken, token_hash

LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword or not parts[1].startswith(TOKEN_PREFIX):
            return None
        token = (
            PersonalAccessToken.objects.select_related("user", "organisation")
            .filter(token_hash=token_hash(parts[1]))
            .first()
        )
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed("invalid, expired or revoked token")
        if not token.user.is_active or not token.organisation.is_active:
            raise exceptions.AuthenticationFailed("the token's user or organisation is inactive")
        membership = (
            Membership.objects.select_related("organisation")
            .filter(user=token.user, organisation=token.organisation)
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed(
                "the token's user is no longer a member of its organisation"
            )
        if two_factor_setup_required(token.user):
            # The same rule as the web pages (organisations.security): a token does not bypass it.
            raise exceptions.PermissionDenied(
                "this account's role requires two-factor authentication: set it up on the site "
                "before using its tokens"
            )
        # organisations.tenancy.acting_membership reads this: the token's organisation acts.
        request._request.acting_membership = membership
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "convergence.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal access token (cvg_...)"}
