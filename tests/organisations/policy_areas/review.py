"""The review's URLs in the executable access policy: reviewer assignment, bulk validation and
the threads per axis (see docs/assessments.md, "Review")."""

from __future__ import annotations

from typing import Any


def _submitted(w, role: str) -> dict[str, Any]:
    return {"pk": w.subject_objects(role).submitted.pk}


def _thread(w, role: str) -> dict[str, Any]:
    # The draft: its declarant may write in the thread of an axis that applies (INS).
    return {"pk": w.subject_objects(role).draft.pk, "code": "INS"}


KWARGS = {
    "assessments:review_assign": (_submitted, "subject"),
    "assessments:axis_comment_add": (_thread, "subject"),
}

QUERY = {
    "assessments:review_bulk_validate": lambda w, role: f"ids={w.subject_objects(role).submitted.pk}",
}

DATA = {
    # Assign to the agency's colleague (an analyst of the agency).
    "assessments:review_assign": lambda w, role: {
        "reviewer": str(w.orgs["agency"].colleague_membership.user_id)
    },
    "assessments:review_bulk_validate": lambda w, role: {
        "ids": str(w.subject_objects(role).submitted.pk),
        f"version-{w.subject_objects(role).submitted.pk}": str(w.subject_objects(role).submitted.version),
    },
    "assessments:axis_comment_add": lambda w, role: {"body": "Pourquoi ce niveau ?"},
}
