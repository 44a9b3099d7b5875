"""allauth adapters: lockout recording and the e-mail of accounts coming from OpenID Connect."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .models import SecurityEventKind
from .security import record_security_event


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's "login_failed" rate limit, keyed on the typed address whether or not an account
        exists (so the answer is the same for both); we only record the lockout."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            record_security_event(
                SecurityEventKind.LOCKOUT, request=request, identifier=credentials.get("email", "")
            )
            raise

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))
