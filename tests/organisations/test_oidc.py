"""OpenID Connect login, end to end, against a real provider running in the test on 127.0.0.1.

The provider is `oidc-provider-mock` (authlib-based: discovery, authorisation form, code flow,
token endpoint, JWKS, userinfo), served by werkzeug on a free port. Our side is the real path:
allauth's login view → redirect to the provider → the provider's authorisation form (posted with
`requests`, as a browser would) → redirect to our callback → allauth exchanges the code over
HTTP → `VerifiedOpenIDConnectAdapter` checks the ID token → login.

To produce tokens that must be refused, a WSGI layer in front of the provider ("tamperer")
re-signs the ID token the provider issued, after changing one thing, and serves its own JWKS:

- `resign`: same claims, signed with the published key → accepted (proves the layer is neutral);
- `wrong_audience`: `aud` is another client → refused;
- `expired`: `exp` in the past → refused;
- `bad_signature`: signed with a key that is *not* in the JWKS (same `kid`) → refused. Stock
  allauth does not check the signature of a token received from the token endpoint; our adapter
  does, and this test is what proves it.

The same layer can make the userinfo endpoint answer as ProConnect does, a signed JWT
(`Content-Type: application/jwt`) instead of JSON:

- `userinfo_jwt`: the provider's userinfo claims plus `iss`/`aud`, signed with the published key;
- `userinfo_jwt_rogue`: the same, signed with a key that is not in the JWKS → refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import jwt
import pytest
import requests
import werkzeug.serving
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from oidc_provider_mock import app as provider_app
from oidc_provider_mock._storage import User as ProviderUser

from convergence.organisations.models import User

CLIENT_ID = "convergence-test"
KID = "tamperer-key"


class Tamperer:
    """WSGI middleware: re-signs the provider's ID tokens according to `mode`."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.mode: str | None = None  # None: pass everything through untouched
        self.good_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.good_key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def resign(self, id_token: str) -> str:
        claims = jwt.decode(id_token, options={"verify_signature": False})
        key = self.good_key
        if self.mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif self.mode == "expired":
            claims["iat"] = int(time.time()) - 7200
            claims["exp"] = int(time.time()) - 3600
        elif self.mode == "bad_signature":
            key = self.rogue_key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if self.mode is None or path not in ("/jwks", "/oauth2/token", "/userinfo"):
            return self.inner(environ, start_response)
        if path == "/userinfo":
            if not self.mode.startswith("userinfo_jwt"):
                return self.inner(environ, start_response)
            return self.signed_userinfo(environ, start_response)
        if path == "/jwks":
            body = json.dumps(self.jwks()).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self.inner(environ, capture))
        payload = json.loads(body)
        self.access_token = payload.get("access_token")
        if "id_token" in payload:
            payload["id_token"] = self.resign(payload["id_token"])
        body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def signed_userinfo(self, environ, start_response):
        """The provider's own userinfo (JSON), answered as a JWT like ProConnect's."""
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status

        claims = json.loads(b"".join(self.inner(environ, capture)))
        if not captured["status"].startswith("200"):
            body = json.dumps(claims).encode()
            start_response(captured["status"], [("Content-Type", "application/json")])
            return [body]
        issuer = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
        # A claim only this JWT carries, so a test can tell the signed userinfo was used.
        claims.update(iss=issuer, aud=CLIENT_ID, given_name="Alice (signed userinfo)")
        key = self.rogue_key if self.mode == "userinfo_jwt_rogue" else self.good_key
        body = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID}).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/jwt; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, Tamperer]]:
    users = [ProviderUser(sub="alice", claims={"email": "alice@proconnect.example", "email_verified": True})]
    tamperer = Tamperer(provider_app(user_claims=users))
    server = werkzeug.serving.make_server("127.0.0.1", 0, tamperer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", tamperer
    finally:
        server.shutdown()
        thread.join(2)


@pytest.fixture
def oidc(settings, provider):
    url, tamperer = provider
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "proconnect",
                    "name": "ProConnect",
                    "client_id": CLIENT_ID,
                    "secret": "s3cret",
                    "settings": {"server_url": url},
                }
            ],
        }
    }
    tamperer.mode = None
    yield url, tamperer
    tamperer.mode = None


def login_through_provider(client, sub: str = "alice"):
    """Start the login on our side, consent at the provider, come back to our callback."""
    start = client.post("/comptes/oidc/proconnect/login/")
    assert start.status_code == 302, start.content[:500]
    authorize_url = start["Location"]
    consent = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text[:500]
    callback = urlsplit(consent.headers["Location"])
    assert callback.path == "/comptes/oidc/proconnect/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


@pytest.mark.django_db
def test_the_login_button_leads_to_the_provider_with_pkce_and_our_callback(client, oidc):
    url, _ = oidc
    start = client.post("/comptes/oidc/proconnect/login/")
    location = start["Location"]
    assert location.startswith(f"{url}/oauth2/authorize?")
    assert f"client_id={CLIENT_ID}" in location and "code_challenge=" in location
    assert (
        "redirect_uri=http%3A%2F%2Ftestserver%2Fcomptes%2Foidc%2Fproconnect%2Flogin%2Fcallback%2F" in location
    )


@pytest.mark.django_db
def test_a_genuine_token_logs_the_user_in(client, oidc):
    """What it proves: the whole code flow works with a real provider, and the account is created
    with the provider's verified address."""
    response = login_through_provider(client)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="alice@proconnect.example")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get(user=user).uid == "alice"


@pytest.mark.django_db
def test_a_token_re_signed_with_the_published_key_is_accepted(client, oidc):
    """What it proves: the tampering layer itself does not break a valid login, so the refusals
    below are due to the one thing each changes."""
    oidc[1].mode = "resign"
    response = login_through_provider(client)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["wrong_audience", "expired", "bad_signature"])
def test_an_invalid_id_token_is_refused_and_nobody_is_logged_in(client, oidc, mode):
    """What it proves: allauth's callback, with our adapter, refuses a token issued for another
    client, an expired one and one whose signature does not match the provider's keys."""
    oidc[1].mode = mode
    response = login_through_provider(client)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 401  # allauth's "third-party login failure" page
    assert not User.objects.filter(email="alice@proconnect.example").exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_a_forged_state_is_refused(client, oidc):
    """What it proves: a callback that did not start from our login (CSRF on the login) fails."""
    client.post("/comptes/oidc/proconnect/login/")
    response = client.get("/comptes/oidc/proconnect/login/callback/?code=whatever&state=forged")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 401


def test_providers_are_read_from_the_environment():
    from convergence.organisations.oidc_config import form_action_origins, parse_oidc_providers

    apps = parse_oidc_providers(
        '[{"id": "psc", "name": "Pro Santé Connect", "server_url": "https://auth.esw.example/realms/psc",'
        ' "client_id": "c", "secret": "s", "scope": ["openid", "scope_all"]}]'
    )
    assert apps[0]["provider_id"] == "psc" and apps[0]["settings"]["scope"] == ["openid", "scope_all"]
    assert form_action_origins(apps) == ["https://auth.esw.example"]
    with pytest.raises(ValueError, match=r"OIDC_PROVIDERS\[0\] lacks client_id"):
        parse_oidc_providers('[{"id": "x", "name": "X", "server_url": "https://x"}]')
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_oidc_providers("[{")


@pytest.mark.django_db
def test_without_our_adapter_allauth_would_accept_the_forged_signature(client, oidc, monkeypatch):
    """What it proves: the signature check is ours (stock allauth skips it for tokens from the
    token endpoint), so the `bad_signature` refusal above is not an accident of the set-up."""
    from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter

    from convergence.organisations.oidc import VerifiedOpenIDConnectAdapter

    monkeypatch.setattr(
        VerifiedOpenIDConnectAdapter, "_decode_id_token", OpenIDConnectOAuth2Adapter._decode_id_token
    )
    oidc[1].mode = "bad_signature"
    response = login_through_provider(client)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def add_provider_user(url: str, sub: str, **claims) -> None:
    """Declare a user at the provider (the mock's `PUT /users/<sub>`)."""
    response = requests.put(f"{url}/users/{sub}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


@pytest.mark.django_db
def test_a_userinfo_answered_as_a_jwt_signed_with_the_published_key_logs_in(client, oidc):
    """What it proves: a ProConnect-style userinfo (`application/jwt`) is verified against the
    provider's JWKS, decoded and used: the account gets the claim only that JWT carries."""
    oidc[1].mode = "userinfo_jwt"
    response = login_through_provider(client)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="alice@proconnect.example")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.first_name == "Alice (signed userinfo)"
    account = SocialAccount.objects.get(user=user)
    assert account.extra_data["userinfo"]["given_name"] == "Alice (signed userinfo)"


@pytest.mark.django_db
def test_a_userinfo_jwt_signed_with_another_key_is_refused(client, oidc):
    """What it proves: the userinfo JWT's signature is checked (the ID token is genuine here),
    so a forged userinfo cannot log anyone in nor create an account."""
    oidc[1].mode = "userinfo_jwt_rogue"
    response = login_through_provider(client)
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="alice@proconnect.example").exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_a_verified_address_logs_into_the_existing_account_and_links_it(client, oidc):
    """What it proves: someone who already has a password account with a verified address and
    logs in through the provider, which asserts that same address as verified, lands in that
    account (no second account), the provider is linked to it and the password still works."""
    url, _ = oidc
    existing = _password_user("bob@proconnect.example", verified=True)
    add_provider_user(url, "bob", email="bob@proconnect.example", email_verified=True)
    response = login_through_provider(client, sub="bob")
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == existing.pk
    assert User.objects.filter(email__iexact="bob@proconnect.example").count() == 1
    assert SocialAccount.objects.get(uid="bob").user_id == existing.pk
    existing.refresh_from_db()
    assert existing.check_password("correct-horse-battery")


@pytest.mark.django_db
@pytest.mark.parametrize("email_verified", [False, None, "false"], ids=["false", "absent", "string-false"])
def test_an_unverified_address_does_not_log_into_the_existing_account(
    client, oidc, mailoutbox, email_verified
):
    """What it proves: when the provider does not assert the address as verified (false, claim
    absent, or the string "false", which allauth alone would take as true), the login does not
    enter the existing account nor link to it, no second account is made, and the password is
    untouched. As sign-up cannot reveal that the address is taken (ACCOUNT_PREVENT_ENUMERATION),
    allauth shows "check your e-mail" and mails the address's owner that an account exists."""
    url, _ = oidc
    existing = _password_user("carol@proconnect.example", verified=True)
    claims: dict = {"email": "carol@proconnect.example"}
    if email_verified is not None:
        claims["email_verified"] = email_verified
    add_provider_user(url, "carol", **claims)
    response = login_through_provider(client, sub="carol")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302 and response["Location"] == "/comptes/confirm-email/"
    assert [message.to for message in mailoutbox] == [["carol@proconnect.example"]]
    assert not SocialAccount.objects.filter(user=existing).exists()
    assert User.objects.filter(email__iexact="carol@proconnect.example").count() == 1
    existing.refresh_from_db()
    assert existing.check_password("correct-horse-battery")


@pytest.mark.django_db
def test_a_squatter_who_never_verified_the_address_loses_the_password(client, oidc, mailoutbox):
    """What it proves: if someone signed up with an address they do not own (never verified) and
    its real owner then logs in through the provider (verified there), the squatter's password
    stops working (allauth's `wipe_password`) and the provider is linked to the account; as our
    copy of the address is still unverified (mandatory verification), the login waits for the
    confirmation mail sent to that address, which only its owner receives."""
    url, _ = oidc
    squatted = _password_user("erin@proconnect.example", verified=False)
    add_provider_user(url, "erin", email="erin@proconnect.example", email_verified=True)
    response = login_through_provider(client, sub="erin")
    assert response.status_code == 302 and response["Location"] == "/comptes/confirm-email/"
    assert "_auth_user_id" not in client.session
    squatted.refresh_from_db()
    assert not squatted.has_usable_password()
    assert SocialAccount.objects.get(uid="erin").user_id == squatted.pk
    assert [message.to for message in mailoutbox] == [["erin@proconnect.example"]]


def test_email_verified_is_trusted_only_as_a_json_boolean():
    from convergence.organisations.oidc import strict_email_verified

    assert strict_email_verified({"email_verified": True}) == {"email_verified": True}
    for value in ("true", "false", 1, "1", None):
        assert strict_email_verified({"email_verified": value}) == {"email_verified": False}
    assert strict_email_verified({"sub": "x"}) == {"sub": "x"}


def _password_user(email: str, *, verified: bool) -> User:
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user
