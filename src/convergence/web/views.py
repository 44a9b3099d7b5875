import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from convergence.catalog.selectors import current_referential
from convergence.organisations.tenancy import acting_organisation
from convergence.referential.models import Axis, ProductCategory, ServiceType

from . import search as site_search
from .glossary import TERMS
from .selectors import awaiting_review_count, open_campaigns_to_do

SEARCH_GROUP_SIZE = 5  # per kind on the grouped page; a kind's own page has SEARCH_PAGE_SIZE
SEARCH_PAGE_SIZE = 20


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


# The accessibility statement: when it was last prepared (update it with every audit, and with
# docs/accessibility.md), the axe-core release the tests use (package-lock.json; a test keeps them
# equal) and whom to write to.
STATEMENT_DATE = datetime.date(2026, 12, 3)
AXE_CORE_VERSION = "4.14.1"


def accessibility(request):
    return render(
        request,
        "web/accessibility.html",
        {
            "statement_date": STATEMENT_DATE,
            "axe_version": AXE_CORE_VERSION,
            "contact_email": getattr(settings, "ACCESSIBILITY_CONTACT_EMAIL", settings.DEFAULT_FROM_EMAIL),
        },
    )


def glossary(request):
    """The terms, then the codes of the current referential edition (data, not code)."""
    referential = current_referential()
    codes = {}
    if referential is not None:
        codes = {
            "axes": Axis.objects.filter(referential=referential).order_by("position"),
            "service_types": ServiceType.objects.filter(referential=referential).select_related("family"),
            "product_categories": ProductCategory.objects.filter(referential=referential),
        }
    return render(request, "web/glossary.html", {"terms": TERMS, "referential": referential, **codes})


@login_required
def search(request):
    """One box, every kind the reader may see, grouped by kind; `kind=` pages through one."""
    text = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in site_search.QUERIES else ""
    organisation = acting_organisation(request)
    groups = []
    pages = []
    too_short = bool(text) and len(text) < site_search.MIN_LENGTH
    if text and not too_short:
        for entry in site_search.KINDS:
            if kind and entry.key != kind:
                continue
            matches = site_search.search(organisation, entry.key, text)
            page = Paginator(matches, SEARCH_PAGE_SIZE if kind else SEARCH_GROUP_SIZE).get_page(
                request.GET.get("page") if kind else 1
            )
            pages.append(page)
            groups.append(
                {
                    "kind": entry,
                    "page": page,
                    "results": [
                        {"object": obj, "url": site_search.result_url(organisation, entry.key, obj)}
                        for obj in page.object_list
                    ],
                }
            )
    return render(
        request,
        "web/search.html",
        {
            "q": text,
            "kind": kind,
            "groups": groups,
            "too_short": too_short,
            "min_length": site_search.MIN_LENGTH,
            "total": sum(page.paginator.count for page in pages),
        },
    )
