"""Request types for views behind a login: typed `user` and django-htmx's `htmx`."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from convergence.organisations.models import User


class AuthenticatedRequest(HttpRequest):
    user: "User"
    htmx: "HtmxDetails"
