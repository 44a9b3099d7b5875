"""The consultation summary as files: XLSX (one sheet per table, then the comments) and PDF."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from .enums import CommentStatus
from .selectors import ConsultationSummary


def summary_xlsx(consultation: Any, summary: ConsultationSummary) -> bytes:
    import xlsxwriter

    from convergence.organisations.enums import OrganisationKind

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    statuses = list(CommentStatus)
    kinds = dict(OrganisationKind.choices)

    def table(name: str, first: str, rows: list[tuple[str, dict[str, int]]]) -> None:
        sheet = book.add_worksheet(name)
        header = [first, *(str(s.label) for s in statuses), _("Total")]
        for column, title in enumerate(header):
            sheet.write_string(0, column, title, bold)
        for index, (label, counts) in enumerate(rows, start=1):
            sheet.write_string(index, 0, label)
            for column, status in enumerate(statuses, start=1):
                sheet.write_number(index, column, counts.get(status.value, 0))
            sheet.write_number(index, len(statuses) + 1, sum(counts.values()))
        sheet.set_column(0, 0, 30)

    table("status", _("Edition"), [(consultation.referential.code, summary.by_status)])
    table(
        "axes", _("Axis"), [(code or _("Types and categories"), counts) for code, counts in summary.by_axis]
    )
    table(
        "organisation_kinds",
        _("Kind of organisation"),
        [(str(kinds.get(kind, kind)), counts) for kind, counts in summary.by_organisation_kind],
    )
    sheet = book.add_worksheet("comments")
    header = [
        "id",
        "organisation",
        "kind",
        "about",
        "axis",
        "level",
        "type_or_category",
        "comment",
        "status",
        "answer",
    ]
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, bold)
    for index, comment in enumerate(
        consultation.comments.select_related("organisation").order_by("created_at", "pk"), start=1
    ):
        values = [
            comment.pk,
            comment.organisation.name,
            comment.organisation.kind,
            comment.target,
            comment.axis_code,
            "" if comment.level is None else comment.level,
            comment.target_code,
            comment.text,
            comment.status,
            comment.answer,
        ]
        for column, value in enumerate(values):
            if isinstance(value, int):
                sheet.write_number(index, column, value)
            elif value:
                sheet.write_string(index, column, value)
    book.close()
    return output.getvalue()


def _no_fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> Any:
    raise ValueError(f"refused to fetch {url}")  # the summary is self-contained


def summary_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()
