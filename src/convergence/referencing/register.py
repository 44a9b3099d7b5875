"""The public register (page, CSV, JSON and its schema), the attestation's content, and the
agency's XLSX export of a programme's dossiers. The register says only what is public: the
product, its vendor, the programme, the dates and the state; nothing else of a dossier."""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import AwardState
from .models import Award, Programme
from .requirements import requirement_rows
from .selectors import register_awards

FIELDS = [
    ("programme", "string", "Code of the programme"),
    ("programme_version", "integer", "Version of the programme the award was decided under"),
    ("programme_title", "string", "Title of the programme"),
    ("product", "string", "Name of the product or service"),
    ("product_version", "string", "Version of the product the award is tied to"),
    ("vendor", "string", "Name of the vendor (or operator)"),
    ("vendor_siren", "string", "SIREN of the vendor (empty for public bodies)"),
    ("referential", "string", "Code of the referential edition"),
    ("starts_on", "date", "First day of validity (ISO 8601)"),
    ("ends_on", "date", "Last day of validity (ISO 8601)"),
    ("state", "string", "valid, valid_reservations, suspended, withdrawn, expired or lapsed"),
    ("verification_url", "string", "Stable URL of the public attestation"),
]

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Convergence — register of referencing awards",
    "type": "object",
    "required": ["generated_at", "awards"],
    "properties": {
        "generated_at": {"type": "string", "format": "date-time"},
        "awards": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [name for name, _type, _description in FIELDS],
                "properties": {
                    name: (
                        {"type": "string", "format": "date", "description": description}
                        if kind == "date"
                        else {"type": kind, "description": description}
                    )
                    | ({"enum": list(AwardState.values)} if name == "state" else {})
                    for name, kind, description in FIELDS
                },
            },
        },
    },
}


@dataclass(frozen=True)
class RegisterRow:
    award: Award
    state: AwardState

    def record(self, base_url: str) -> dict:
        dossier = self.award.dossier
        return {
            "programme": dossier.programme.code,
            "programme_version": dossier.programme.version,
            "programme_title": dossier.programme.title,
            "product": dossier.subject.name,
            "product_version": self.award.product_version,
            "vendor": dossier.subject.organisation.name,
            "vendor_siren": dossier.subject.organisation.siren,
            "referential": self.award.referential.code,
            "starts_on": self.award.starts_on.isoformat(),
            "ends_on": self.award.ends_on.isoformat(),
            "state": self.state.value,
            "verification_url": base_url.rstrip("/")
            + reverse("referencing:attestation", kwargs={"code": self.award.verification_code}),
        }


def register_rows(programme_code: str | None = None) -> list[RegisterRow]:
    today = timezone.localdate()
    return [RegisterRow(award, award.state(today)) for award in register_awards(programme_code)]


def register_records(base_url: str) -> list[dict]:
    return [row.record(base_url) for row in register_rows()]


def register_csv(base_url: str = "") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[name for name, _kind, _description in FIELDS])
    writer.writeheader()
    writer.writerows(register_records(base_url))
    return out.getvalue()


def register_json(base_url: str) -> str:
    return json.dumps(
        {"generated_at": timezone.now().isoformat(), "awards": register_records(base_url)},
        ensure_ascii=False,
        indent=2,
    )


def schema_json() -> str:
    return json.dumps(SCHEMA, ensure_ascii=False, indent=2)


def attestation_context(award: Award, request: HttpRequest) -> dict:
    state = award.state(timezone.localdate())
    return {
        "award": award,
        "state": state,
        "is_valid": state in (AwardState.VALID, AwardState.VALID_RESERVATIONS),
        "verification_url": request.build_absolute_uri(
            reverse("referencing:attestation", kwargs={"code": award.verification_code})
        ),
        "opinion": getattr(award.dossier, "opinion", None),
    }


def dossiers_xlsx(programme: Programme, *, dossiers=None) -> bytes:
    """The dossiers of a programme (default: every one; the caller passes what its reader may
    see), one row each, with each requirement's state."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet(_("Dossiers")[:31])
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    requirements = list(programme.requirements.order_by("position"))
    headers = [
        _("Dossier"),
        _("Product"),
        _("Vendor"),
        _("Status"),
        _("Referent"),
        _("Submitted on"),
        _("Due on"),
        _("Opinion"),
        *[r.code for r in requirements],
    ]
    sheet.write_row(0, 0, headers, bold)
    dossiers = (
        (programme.dossiers.all() if dossiers is None else dossiers)
        .select_related("subject__organisation", "referent", "programme")
        .prefetch_related("findings")
    )
    for row_index, dossier in enumerate(dossiers.order_by("pk"), start=1):
        opinion = getattr(dossier, "opinion", None)
        sheet.write_row(
            row_index,
            0,
            [
                dossier.pk,
                dossier.subject.name,
                dossier.subject.organisation.name,
                dossier.get_status_display(),
                dossier.referent.email if dossier.referent else "",
            ],
        )
        if dossier.submitted_at:
            sheet.write_datetime(
                row_index, 5, timezone.localtime(dossier.submitted_at).replace(tzinfo=None), date
            )
        if dossier.due_on:
            sheet.write_datetime(
                row_index, 6, datetime.datetime.combine(dossier.due_on, datetime.time.min), date
            )
        sheet.write(row_index, 7, opinion.get_opinion_display() if opinion else "")
        for column, row in enumerate(requirement_rows(dossier), start=8):
            if not row.applies:
                value = _("not applicable")
            elif row.finding is not None:
                value = _("met (finding)") if row.finding.met else _("not met (finding)")
            else:
                value = _("met") if row.met else (_("explained") if row.explained else _("not met"))
            sheet.write(row_index, column, value)
    workbook.close()
    return buffer.getvalue()
