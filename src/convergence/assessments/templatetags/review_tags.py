"""Template tags of the review: the thread of an axis, for `assessments/_axis_comments.html`
(included by the review page and the questionnaire)."""

from __future__ import annotations

from typing import Any

from django import template

from convergence.organisations.rules import ActingOn
from convergence.organisations.tenancy import acting_organisation

from .. import selectors
from ..forms import AxisCommentForm

register = template.Library()


@register.simple_tag(takes_context=True)
def axis_thread(context: template.Context, assessment: Any, axis_code: str) -> dict[str, Any]:
    """The messages of the axis's thread, whether the reader may write in it, and the form.

    The threads of the whole assessment are read once per request (one query, whatever the
    number of axes the page includes), and the permission once per assessment."""
    request = context.get("request")
    cache = request.__dict__.setdefault("_review_axis_threads", {}) if request is not None else {}
    if assessment.pk not in cache:
        can_comment = False
        if request is not None and request.user.is_authenticated:
            can_comment = request.user.has_perm(
                "assessments.comment_axis", ActingOn(acting_organisation(request), assessment)
            )
        cache[assessment.pk] = (selectors.axis_comments(assessment), can_comment)
    threads, can_comment = cache[assessment.pk]
    form = context.get("axis_comment_form")
    bound_here = form is not None and context.get("axis_code") == axis_code
    return {
        "comments": threads.get(axis_code, []),
        "can_comment": can_comment,
        "form": form if bound_here else AxisCommentForm(),
        "next_url": context.get("next_url") or (request.get_full_path() if request is not None else ""),
    }
