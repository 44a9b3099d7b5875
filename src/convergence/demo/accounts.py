"""Demonstration credentials: usable and shown only in demo mode (CONVERGENCE_DEMO=1, set by `make run`)."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

# Never a production password: accounts get an unusable password outside demo mode.
DEMO_PASSWORD = "demo-convergence-2025"
# Agency members and account managers must use two-factor authentication: in demo mode their
# authenticator is set up with this secret (add it to any TOTP app, or use `oathtool --totp -b`).
DEMO_TOTP_SECRET = "KRUGKIDDN5XHMZLSM5SW4Y3FEBSGK3LP"


def demo_totp_code() -> str:
    """The two-factor code the demo accounts' authenticator shows right now."""
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
