"""Request-level guards: two-factor authentication required for sensitive roles, and the
recording of refused requests as security events."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .enums import ACCOUNT_MANAGER_ROLES, OrganisationKind
from .models import SecurityEventKind
from .rules import memberships_by_organisation
from .security import record_security_event, two_factor_setup_required

# Paths a user who must set up two-factor authentication can still reach: the account pages
# (to set it up, or to log out), static files, the language switch.
MFA_EXEMPT_PREFIXES = ("/comptes/", "/static/", "/i18n/", "/media/")


def requires_mfa(user) -> bool:
    """Agency members and account managers of any organisation must use two-factor authentication."""
    return any(
        kind == OrganisationKind.AGENCY or role in ACCOUNT_MANAGER_ROLES
        for role, kind in memberships_by_organisation(user).values()
    )


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_required_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not request.path.startswith(MFA_EXEMPT_PREFIXES) and two_factor_setup_required(user):
            if request.path.startswith("/api/"):  # the API's one error shape (docs/api.md)
                return JsonResponse(
                    {
                        "errors": [
                            {"field": None, "message": _("Two-factor authentication must be set up first.")}
                        ]
                    },
                    status=403,
                )
            messages.warning(
                request,
                _("Your role requires two-factor authentication: set it up to continue."),
            )
            return redirect("mfa_activate_totp")
        return get_response(request)

    return middleware


class SecurityEventMiddleware:
    """Records every PermissionDenied raised by a view (the user is refused, and the attempt
    leaves a trace)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            record_security_event(SecurityEventKind.PERMISSION_DENIED, request=request, user=request.user)
        return None
