"""`GET /healthz` (contract, section 8): 200 `{"status": "ok"}` when the database answers, 503
`{"status": "unavailable"}` when it does not; no login, no cookie, nothing else revealed."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("convergence.ops")


def database_is_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("health check: the database is unreachable", exc_info=True)
        # A broken connection must not stay in the process: the next request reconnects.
        connection.close_if_unusable_or_obsolete()
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    if database_is_reachable():
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable"}, status=503)
