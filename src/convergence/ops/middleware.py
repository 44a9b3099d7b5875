"""The request id and the access log: one JSON line per request (`convergence.request`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from convergence.lib import logs

logger = logging.getLogger("convergence.request")


def _reset(token) -> None:
    try:
        logs.request_id.reset(token)
    except ValueError:  # closed from another context (a streamed answer): forget the id anyway
        logs.request_id.set(None)


def request_id_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        request_id = logs.new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        # Reset when the server closes the answer, not on the way out: Django logs an error
        # answer ("Not Found: ...") after the middleware chain returns, and that line must carry
        # the id too.
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        response = get_response(request)
        response["X-Request-ID"] = request_id
        response._resource_closers.append(lambda: _reset(token))  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "ip": request.META.get("REMOTE_ADDR"),
            },
        )
        return response

    return middleware
