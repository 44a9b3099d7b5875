"""Template tags of the pages: links to the glossary, the product page's campaigns, numbers and
percentages in the reader's language."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import pgettext

from convergence.web.glossary import BY_SLUG

register = template.Library()


@register.simple_tag
def glossary_link(slug: str, text: str = "") -> str:
    """A link to the term's entry of the glossary, reading `text` (default: the term itself).
    An unknown term fails loudly: a link to no entry would be a broken help."""
    term = BY_SLUG[slug]
    return format_html(
        '<a class="cv-glossary-link" href="{}#{}" title="{}">{}</a>',
        reverse("web:glossary"),
        term.slug,
        term.definition,
        text or term.label,
    )


@register.inclusion_tag("web/_subject_campaigns.html", takes_context=True)
def subject_campaigns(context, subject) -> dict:
    """The product or service page's word on the open campaigns: its assessment in each, or why
    there is none (declared after the campaign opened, or not active) and, for who may, the way
    to add it (re-running the campaign's opening, which creates only the missing assessments).
    Two queries, through the assessments selectors of the acting organisation."""
    from convergence.assessments.enums import CampaignScope, CampaignStatus
    from convergence.assessments.selectors import assessments_visible_to, campaigns_visible_to
    from convergence.catalog.enums import SubjectKind, SubjectStatus
    from convergence.organisations.tenancy import acting_organisation

    request = context["request"]
    organisation = acting_organisation(request)
    scopes = [CampaignScope.BOTH]
    scopes.append(CampaignScope.PRODUCTS if subject.kind == SubjectKind.PRODUCT else CampaignScope.SERVICES)
    campaigns = list(
        campaigns_visible_to(organisation)
        .filter(status=CampaignStatus.OPEN, scope__in=scopes)
        .order_by("closes_on", "code")
    )
    assessments = {
        a.campaign_id: a
        for a in assessments_visible_to(organisation).filter(subject=subject, campaign__in=campaigns)
    }
    own = organisation is not None and subject.organisation_id == organisation.pk
    rows = [
        {
            "campaign": campaign,
            "assessment": assessments.get(campaign.pk),
            "declared_after_opening": subject.created_at.date() > campaign.opens_on,
        }
        for campaign in campaigns
    ]
    return {
        "rows": rows,
        "subject": subject,
        "own": own,
        "active": subject.status == SubjectStatus.ACTIVE,
        "can_add": request.user.has_perm("assessments.manage_campaign"),
        "request": request,
    }


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or None: a label looked up by code in a template."""
    return mapping.get(key) if mapping else None


@register.filter
def number(value, decimals=None):
    """A number in the reader's language, digits grouped: "1 234,5" in French, "1,234.5" in
    English (Django's `localize` groups digits only with USE_THOUSAND_SEPARATOR, which would also
    group the ids written into forms)."""
    if value is None or value == "":
        return ""
    if decimals is not None:
        value = _rounded(value, int(decimals))
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _rounded(value, decimals: int) -> Decimal:
    """Rounded half up, as people round (Django's number_format cuts the extra digits off)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@register.filter
def percent(value, decimals=0):
    """A rate (0.875) as a percentage in the reader's language: "87,5 %" / "87.5%"."""
    if value is None or value == "":
        return ""
    hundredfold = _rounded(Decimal(str(value)) * 100, int(decimals))
    shown = number_format(hundredfold, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return pgettext("percentage", "%(number)s%%") % {"number": shown}
