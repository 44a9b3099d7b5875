from django.shortcuts import render
from django.utils import timezone

from convergence.organisations.tenancy import acting_organisation

from .selectors import awaiting_review_count, open_campaigns_to_do


def home(request):
    context = {}
    if request.user.is_authenticated:
        organisation = acting_organisation(request)
        context = {
            "organisation": organisation,
            "campaigns_to_do": open_campaigns_to_do(organisation, today=timezone.localdate()),
            "awaiting_review": awaiting_review_count(organisation),
        }
    return render(request, "web/home.html", context)


def accessibility(request):
    return render(request, "web/accessibility.html")
