"""The site's 404 and 500 handlers: under /api/ they answer the API's one error shape
({"errors": [{"field": null, "message": ...}]}, docs/api.md), elsewhere the site's pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"field": None, "message": message}]}, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return json_error("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return json_error("Internal server error: the incident is logged; try again later.", 500)
    return defaults.server_error(request)
