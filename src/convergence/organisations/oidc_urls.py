"""OpenID Connect login URLs, mounted before allauth's at the same paths (see `oidc.py`)."""

from django.urls import path, re_path

from . import oidc

urlpatterns = [
    re_path(
        r"^(?P<provider_id>[^/]+)/login/$",
        oidc.login,
        name="oidc_login",
    ),
    path("<str:provider_id>/login/callback/", oidc.callback, name="oidc_callback"),
]

ACCESS_POLICY = {"oidc_login": "public", "oidc_callback": "login-step"}
