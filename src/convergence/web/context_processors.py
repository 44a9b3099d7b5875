from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .navigation import navigation_for, navigation_links


def site(request):
    navigation = SimpleLazyObject(lambda: navigation_for(request))
    return {
        # django-dsfr's templates read SITE_CONFIG; ours comes from settings, not the database.
        "SITE_CONFIG": {
            "site_title": settings.SITE_TITLE,
            "site_tagline": settings.SITE_TAGLINE,
            "header_brand_html": settings.SITE_BRAND_HTML,
            "footer_brand_html": settings.SITE_BRAND_HTML,
        },
        "navigation": navigation,
        # All but Home.
        "navigation_shortcuts": SimpleLazyObject(lambda: navigation_links(list(navigation))[1:]),
        "DEMO_MODE": settings.DEMO_MODE,
        "demo_login_help": SimpleLazyObject(_demo_login_help) if settings.DEMO_MODE else None,
    }


def _demo_login_help() -> dict:
    """Demo mode only: the accounts, their password and the current two-factor code, shown on the
    login pages so that someone trying `make run` can sign in as every role."""
    from convergence.demo.accounts import DEMO_PASSWORD, demo_totp_code
    from convergence.demo.generator import DEMO_ACCOUNTS

    return {
        "accounts": [{"email": email, "role": role} for email, _organisation, role in DEMO_ACCOUNTS],
        "password": DEMO_PASSWORD,
        "totp_code": demo_totp_code(),
    }
