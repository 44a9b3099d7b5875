"""OpenID Connect login views that always verify the ID token's signature.

allauth skips the signature check of an ID token received straight from the token endpoint
(allowed by OpenID Connect Core 3.1.3.7 over TLS). We verify it anyway against the provider's
JWKS: a compromised or misconfigured TLS path, or a proxy, must not be enough to log in. The
issuer, audience (our client id) and expiry are checked by allauth in every case.

These views are mounted at the same paths as allauth's (`/comptes/oidc/<provider>/login/...`),
before allauth's URLs, so the callback URL allauth builds lands here.

`email_verified` is only trusted when it is the JSON boolean `true`. allauth takes the claim's
truthiness, so a provider sending the string "false" would otherwise count as asserting a
verified address, and with SOCIALACCOUNT_EMAIL_AUTHENTICATION that logs into the existing
account holding that address.
"""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest


def strict_email_verified(claims: dict) -> dict:
    """`email_verified` becomes a real boolean, true only for JSON `true` (see module docstring)."""
    if "email_verified" in claims:
        claims = {**claims, "email_verified": claims["email_verified"] is True}
    return claims


class VerifiedOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return strict_email_verified(self._verify_id_token(app, id_token))

    def _verify_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )

    def _fetch_user_info(self, access_token: str) -> dict:
        return strict_email_verified(self._fetch_raw_user_info(access_token))

    def _fetch_raw_user_info(self, access_token: str) -> dict:
        """Userinfo as JSON, or as a signed JWT (ProConnect answers `application/jwt`)."""
        headers = {"Authorization": f"Bearer {access_token}"}
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers=headers)
            response.raise_for_status()
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            return jwtkit.verify_and_decode(
                credential=response.text.strip(),
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=self.get_provider().app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,
            )
        return response.json()


@login_not_required
def login(request: HttpRequest, provider_id: str):
    try:
        return OAuth2LoginView.adapter_view(VerifiedOpenIDConnectAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@login_not_required
def callback(request: HttpRequest, provider_id: str):
    try:
        return OAuth2CallbackView.adapter_view(VerifiedOpenIDConnectAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
