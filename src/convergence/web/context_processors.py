from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .navigation import navigation_for


def site(request):
    return {
        # django-dsfr's templates read SITE_CONFIG; ours comes from settings, not the database.
        "SITE_CONFIG": {
            "site_title": settings.SITE_TITLE,
            "site_tagline": settings.SITE_TAGLINE,
            "header_brand_html": settings.SITE_BRAND_HTML,
            "footer_brand_html": settings.SITE_BRAND_HTML,
        },
        "navigation": SimpleLazyObject(lambda: navigation_for(request)),
        "DEMO_MODE": settings.DEMO_MODE,
    }
