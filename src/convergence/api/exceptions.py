"""One error format for every API error: {"errors": [{"field": ..., "message": ...}]}.

`field` is the request field at fault (dotted for nested ones: `milestones.0.due_on`) or null
for an error about the request as a whole.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "this write needs an If-Match header with the assessment's ETag"
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "the assessment changed since this ETag: read it again, then retry"
    default_code = "precondition_failed"


def _flatten(detail: Any, field: str | None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__", "detail") else str(key)
            errors += _flatten(value, f"{field}.{name}" if field and name else (name or field))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                errors += _flatten(value, f"{field}.{index}" if field else str(index))
            else:
                errors += _flatten(value, field)
        return errors
    return [{"field": field, "message": str(detail)}]


def errors_response(errors: list[dict[str, Any]], status_code: int, headers: dict | None = None) -> Response:
    return Response({"errors": errors}, status=status_code, headers=headers)


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    response.data = {"errors": _flatten(response.data, None)}
    return response
