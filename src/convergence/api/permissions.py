from rest_framework import permissions

from convergence.organisations.tenancy import acting_organisation


class IsMember(permissions.BasePermission):
    """Authenticated, acting for an organisation (a token's, or the session's)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and acting_organisation(request._request))
