"""Security events (logins, failures, two-factor, lockouts, refusals), recorded from signals.

They are written to the `SecurityEvent` table and to the `convergence.security` logger, so an
operator can ship them to a SIEM without reading the database.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import SecurityEvent, SecurityEventKind

logger = logging.getLogger("convergence.security")


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy (HTTPS=1) the client address is the first X-Forwarded-For entry.
    from django.conf import settings

    forwarded = (
        request.META.get("HTTP_X_FORWARDED_FOR", "")
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        else ""
    )
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")) or None


def two_factor_setup_required(user) -> bool:
    """The one rule for "this account must set up two-factor authentication before going on":
    its role requires it (an agency member or an account manager, `middleware.requires_mfa`) and it
    has no TOTP authenticator yet. The web's middleware and the API's token authentication both
    ask it, so a token created before a promotion stops working until the second factor is set."""
    from django.conf import settings

    from .middleware import has_totp, requires_mfa

    return (
        getattr(settings, "MFA_REQUIRED_FOR_SENSITIVE_ROLES", True)
        and user is not None
        and user.is_authenticated
        and requires_mfa(user)
        and not has_totp(user)
    )


def record_security_event(
    kind: str, *, request: HttpRequest | None = None, user: Any = None, identifier: str = ""
) -> SecurityEvent:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    organisation_id = None
    if request is not None and user is not None and hasattr(request, "session"):
        from .tenancy import SESSION_KEY

        organisation_id = request.session.get(SESSION_KEY)
    if not identifier and user is not None:
        identifier = user.email
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        identifier=(identifier or "")[:254],
        organisation_id=organisation_id,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        path=(request.path if request else "")[:500],
    )
    logger.info(
        "%s user=%s identifier=%s ip=%s", kind, getattr(user, "pk", None), identifier, event.ip_address
    )
    return event


@receiver(user_logged_in, dispatch_uid="security_login")
def _logged_in(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="security_logout")
def _logged_out(sender, request, user, **kwargs: Any) -> None:
    if user is not None:
        record_security_event(SecurityEventKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="security_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs: Any) -> None:
    identifier = credentials.get("email") or credentials.get("username") or ""
    record_security_event(SecurityEventKind.LOGIN_FAILED, request=request, identifier=identifier)


@receiver(authentication_failed, dispatch_uid="security_mfa_failed")
def _mfa_failed(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.MFA_FAILED, request=request, user=user)


@receiver(authenticator_added, dispatch_uid="security_mfa_added")
def _mfa_added(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.MFA_ACTIVATED, request=request, user=user)


@receiver(authenticator_removed, dispatch_uid="security_mfa_removed")
def _mfa_removed(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.MFA_DEACTIVATED, request=request, user=user)


@receiver(password_changed, dispatch_uid="security_password_changed")
def _password_changed(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.PASSWORD_CHANGED, request=request, user=user)


@receiver(password_reset, dispatch_uid="security_password_reset")
def _password_reset(sender, request, user, **kwargs: Any) -> None:
    record_security_event(SecurityEventKind.PASSWORD_RESET, request=request, user=user)
