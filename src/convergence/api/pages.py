"""Pages where a user manages their personal access tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from convergence.organisations.tenancy import acting_organisation

from . import selectors, services
from .forms import TokenForm


@login_required
def token_list(request):
    organisation = acting_organisation(request)
    created_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and organisation is not None and form.is_valid():
        _token, created_token = services.token_create(
            user=request.user,
            organisation=organisation,
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        form = TokenForm()
    tokens = selectors.tokens_of(request.user)
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "created_token": created_token, "organisation": organisation},
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.get_token_or_404(request.user, pk)
    services.token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api:tokens")


def _endpoints() -> list[dict]:
    return [
        {"path": "/api/referentials/", "methods": ["GET"], "description": _("Doctrine referentials")},
        {"path": "/api/organisations/", "methods": ["GET"], "description": _("Organisations you may see")},
        {
            "path": "/api/subjects/",
            "methods": ["GET", "POST", "PUT", "PATCH"],
            "description": _("Products and regional services"),
        },
        {"path": "/api/campaigns/", "methods": ["GET"], "description": _("Campaigns and their reports")},
        {
            "path": "/api/assessments/",
            "methods": ["GET", "PUT", "POST"],
            "description": _("Assessments, their answers and their submission"),
        },
    ]


def api_index(request):
    """`/api/`: what the API offers, as a page for a person and as JSON for a program."""
    endpoints = _endpoints()
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return JsonResponse(
            {
                "schema": request.build_absolute_uri(reverse("api:schema")),
                "docs": request.build_absolute_uri(reverse("api:docs")),
                "endpoints": [
                    {**endpoint, "url": request.build_absolute_uri(endpoint["path"])}
                    for endpoint in endpoints
                ],
            }
        )
    return render(request, "api/index.html", {"endpoints": endpoints})
