from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce


def csp_nonce_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Expose Django's CSP nonce as `request.csp_nonce`, which django-dsfr's base template reads.

    Must come after ContentSecurityPolicyMiddleware, which creates the (lazy) nonce.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        request.csp_nonce = get_nonce(request)  # type: ignore[attr-defined]
        return get_response(request)

    return middleware
