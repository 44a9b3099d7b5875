import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests import factories as f

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # allauth's rate limits live in the cache, shared by every test of the process.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mfa_required(settings):
    """Turn on the two-factor requirement (off by default under tests, see settings)."""
    settings.MFA_REQUIRED_FOR_SENSITIVE_ROLES = True


def verified_user(email: str, **kwargs):
    user = f.UserFactory(email=email, username=email.split("@")[0], **kwargs)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def add_totp(user) -> str:
    """Give the user a TOTP authenticator and return its secret (as the setup page would)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 computed here, independently of allauth (30 s period, 6 digits, SHA-1)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def vendor(db):
    return f.OrganisationFactory(code="acme", name="Acme Santé")


@pytest.fixture
def mandataire(vendor):
    user = verified_user("mandataire@acme.example")
    f.MembershipFactory(user=user, organisation=vendor, role="mandataire")
    return user
