"""Access-policy cases of the referential area's URLs: the workbook download and upload, and the
consultation of a draft (one comment per declarant role, by that role's user)."""

import datetime
from typing import Any

from django.utils import timezone

from convergence.referential.models import WorkbookUpload
from convergence.referential.services import (
    consultation_comment_add,
    consultation_open,
    referential_export,
    referential_import,
    referential_workbook_export,
)

DRAFT_CODE = "policy-consultation"
DECLARANT_ROLES = ("employee", "account_manager", "regional_contributor", "regional_manager")


def build(world: Any) -> None:
    from convergence.referential.models import Referential

    referential = Referential.objects.get(code=world.referential_code)
    world.extra["referential_upload"] = WorkbookUpload.objects.create(
        created_by=world.users["agency_analyst"],
        file_name="policy.xlsx",
        content=referential_workbook_export(referential=referential),
        mode=WorkbookUpload.Mode.NEW,
        code="policy-draft",
        base=referential,
    )
    source = referential_export(referential=referential).replace(
        f"code: {referential.code}", f"code: {DRAFT_CODE}"
    )
    source = "\n".join(line for line in source.splitlines() if not line.startswith("published_on:"))
    draft = referential_import(source=source).referential
    # A second draft for the publication page (an accepted POST publishes it).
    referential_import(source=source.replace(f"code: {DRAFT_CODE}", "code: policy-publish"))
    today = timezone.localdate()
    consultation = consultation_open(
        actor=world.users["agency_analyst"],
        referential=draft,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=30),
    )
    axis = draft.axes.order_by("position").first().code
    for role in DECLARANT_ROLES:
        world.extra[f"consultation_comment_{role}"] = consultation_comment_add(
            actor=world.users[role],
            organisation=world.objects(role).organisation,
            consultation=consultation,
            target="axis",
            axis_code=axis,
            text=f"comment of {role}",
        )


def _comment(world: Any, role: str) -> dict[str, Any]:
    # Declarants get their own comment; the other vendor's member gets the first vendor's (404);
    # the others (refused before any lookup) the employee's.
    own = role if role in DECLARANT_ROLES else "employee"
    return {"code": DRAFT_CODE, "pk": world.extra[f"consultation_comment_{own}"].pk}


KWARGS = {
    "referential:publish": (lambda w, role: {"code": "policy-publish"}, None),
    "campaigns:migration": (lambda w, role: {"pk": w.campaign.pk}, None),
    "referential:workbook": (lambda w, role: {"code": w.referential_code}, None),
    "referential:upload_preview": (lambda w, role: {"pk": w.extra["referential_upload"].pk}, None),
    "referential:consultation": (lambda w, role: {"code": DRAFT_CODE}, None),
    "referential:consultation_open": (lambda w, role: {"code": DRAFT_CODE}, None),
    "referential:consultation_comment": (lambda w, role: {"code": DRAFT_CODE}, None),
    "referential:consultation_comment_edit": (_comment, "own"),
    "referential:consultation_comment_answer": (_comment, None),
    "referential:consultation_summary": (lambda w, role: {"code": DRAFT_CODE, "format": "xlsx"}, None),
}
DATA = {
    "referential:consultation_comment_edit": lambda w, role: {"text": f"changed by {role}"},
}
