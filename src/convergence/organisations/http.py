"""Request types for views behind a login: typed `user` (the project's `User`) and django-htmx's
`htmx`. Here rather than in `lib`, which imports no app."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from .models import User


class AuthenticatedRequest(HttpRequest):
    user: "User"
    htmx: "HtmxDetails"
