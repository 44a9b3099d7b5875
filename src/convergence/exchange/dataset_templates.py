"""Blank dataset files to fill in (contract, section 4): a CSV with the header and one example
row, and an XLSX whose cells offer the campaign referential's codes as drop-down lists.

The XLSX keeps the data on its first sheet (the one the import reads), explains the columns in
French and English on a second sheet, and holds the code lists on a hidden third sheet ("codes")
that the drop-down lists refer to (a list typed into the validation itself is limited to 255
characters, too short for a referential's service types).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from convergence.assessments.enums import AssessmentStatus, CampaignScope
from convergence.assessments.models import Campaign
from convergence.assessments.validation import ReferentialContext
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.lib.regions import REGIONS
from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation

from .formats import EXPORT_COLUMNS as COLUMNS  # the contract's columns, then `siren`

# Rows that the drop-down lists and formats cover (the import itself has no such limit).
VALIDATED_ROWS = 20_000

# column: (français, English). The file is for both audiences, so both texts are in it.
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "campaign": ("Code de la campagne (une seule par fichier).", "Campaign code (one per file)."),
    "organisation": ("Code de votre organisation.", "Your organisation's code."),
    "organisation_name": ("Nom de l'organisation.", "Organisation name."),
    "organisation_kind": ("vendor, ars, grades ou agency.", "vendor, ars, grades or agency."),
    "region": (
        "Code région du service ; pour un produit, la région de l'organisation (ou vide).",
        "Region code of the service; for a product, its organisation's region (or empty).",
    ),
    "subject": ("Code du produit ou du service (unique).", "Product or service code (unique)."),
    "subject_kind": ("service ou product.", "service or product."),
    "subject_name": ("Nom du produit ou du service.", "Product or service name."),
    "type_or_category": (
        "Type de service ou catégorie de produit (liste « codes »).",
        "Service type or product category (list on the “codes” sheet).",
    ),
    "status": ("active, deploying, technical ou retired.", "active, deploying, technical or retired."),
    "assessment_status": ("draft (brouillon) ou submitted (soumise).", "draft or submitted."),
    "axis": (
        "Code de l'axe de la doctrine ; les axes de chaque type : feuille « axes par type ».",
        "Doctrine axis code; the axes of each type: sheet “axes by type”.",
    ),
    "level": (
        "Niveau atteint (0 à 3) ; NA ou vide = non applicable (raison dans comment).",
        "Level reached (0 to 3); NA or empty = not applicable (reason in comment).",
    ),
    "target_level": (
        "Niveau visé (jalon), supérieur au niveau actuel.",
        "Target level (milestone), above the level.",
    ),
    "target_date": ("Date du jalon, AAAA-MM-JJ.", "Milestone date, YYYY-MM-DD."),
    "blockers": (
        "Codes des freins séparés par « ; » (liste sur la feuille « codes »).",
        "Blocker codes separated by “;” (list on the “codes” sheet).",
    ),
    "comment": (
        "Commentaire libre ; raison si non applicable.",
        "Free comment; the reason when not applicable.",
    ),
    "siren": (
        "Facultatif : SIREN de l'éditeur (9 chiffres), obligatoire pour créer un éditeur ; vide = inchangé.",
        "Optional: the vendor's SIREN (9 digits), required to create a vendor; empty = left as it is.",
    ),
}

# The made-up vendor of the agency's example row (a valid SIREN: a vendor needs one).
EXAMPLE_SIREN = "100000009"


def _kinds(campaign: Campaign) -> list[str]:
    if campaign.scope == CampaignScope.SERVICES:
        return [SubjectKind.SERVICE]
    if campaign.scope == CampaignScope.PRODUCTS:
        return [SubjectKind.PRODUCT]
    return [SubjectKind.SERVICE, SubjectKind.PRODUCT]


def template_kinds(campaign: Campaign, organisation: Organisation | None) -> list[str]:
    """What the organisation declares within the campaign's scope: a vendor products, an ARS or
    a GRADeS services, the agency (None) both."""
    kinds = _kinds(campaign)
    if organisation is None or organisation.kind == OrganisationKind.AGENCY:
        return kinds
    own = SubjectKind.PRODUCT if organisation.kind == OrganisationKind.VENDOR else SubjectKind.SERVICE
    return [own] if own in kinds else kinds


@dataclass(frozen=True)
class Applicability:
    """One service type or product category and the axes that apply to it (axis code ->
    expected level, None: applies with no expected level), in the referential's axis order."""

    kind: str
    code: str
    name: str
    family: str
    axes: dict[str, int | None]

    def axes_text(self) -> str:
        """`INS (2), DMP (2), MSS`: the applicable axes and their expected levels."""
        return ", ".join(
            axis if expected is None else f"{axis} ({expected})" for axis, expected in self.axes.items()
        )


def applicability(campaign: Campaign, kinds: list[str], context: ReferentialContext) -> list[Applicability]:
    """The referential's service types (by family) then product categories, with their
    applicable axes (the referential's expectations): what each type of subject answers."""
    from convergence.referential.models import ProductCategory, ServiceType

    found: list[Applicability] = []
    if SubjectKind.SERVICE in kinds:
        for item in ServiceType.objects.filter(referential=campaign.referential_id).select_related("family"):
            found.append(
                Applicability(
                    SubjectKind.SERVICE,
                    item.code,
                    item.display_name,
                    item.family.display_name,
                    dict(context.applicable_axes(SubjectKind.SERVICE, item.code)),
                )
            )
    if SubjectKind.PRODUCT in kinds:
        for category in ProductCategory.objects.filter(referential=campaign.referential_id):
            found.append(
                Applicability(
                    SubjectKind.PRODUCT,
                    category.code,
                    category.display_name,
                    "",
                    dict(context.applicable_axes(SubjectKind.PRODUCT, category.code)),
                )
            )
    return found


def example_rows(
    campaign: Campaign, context: ReferentialContext, organisation: Organisation | None
) -> list[list[str]]:
    """The example subject's rows, one per axis that applies to its type or category (at the
    expected level): they import as is for `organisation` (a made-up vendor for the agency)."""
    first = example_row(campaign, context, organisation)
    values = dict(zip(COLUMNS, first, strict=True))
    kind, target = values["subject_kind"], values["type_or_category"]
    applicable = context.applicable_axes(kind, target) if target else {}
    rows = []
    for axis, expected in applicable.items():
        row = dict(values, axis=axis, level=str(expected if expected is not None else context.scale_min))
        rows.append([row[column] for column in COLUMNS])
    return rows or [first]


def example_row(
    campaign: Campaign, context: ReferentialContext, organisation: Organisation | None
) -> list[str]:
    """One row that imports as is for `organisation` (a made-up vendor for the agency)."""
    if organisation is None or organisation.kind == OrganisationKind.AGENCY:
        org_code, org_name, org_kind, org_region = "exemple-editeur", "Éditeur exemple", "vendor", ""
        siren = EXAMPLE_SIREN
    else:
        org_code, org_name, org_kind, org_region = (
            organisation.code,
            organisation.name,
            organisation.kind,
            organisation.region,
        )
        siren = organisation.siren
    kinds = _kinds(campaign)
    kind: str = SubjectKind.PRODUCT if org_kind == OrganisationKind.VENDOR else SubjectKind.SERVICE
    if kind not in kinds:
        kind = kinds[0]
    targets = _targets(campaign, [kind])
    target = targets[0] if targets else ""
    applicable = context.applicable_axes(kind, target) if target else {}
    axis, expected = next(iter(applicable.items()), ("", None))
    region = org_region if kind == SubjectKind.PRODUCT else (org_region or next(iter(REGIONS)))
    level = expected if expected is not None else context.scale_min
    values = {
        "campaign": campaign.code,
        "organisation": org_code,
        "organisation_name": org_name,
        "organisation_kind": org_kind,
        "region": region,
        "subject": f"{org_code}-exemple",
        "subject_kind": kind,
        "subject_name": "Exemple" if kind == SubjectKind.PRODUCT else "Service exemple",
        "type_or_category": target,
        "status": SubjectStatus.ACTIVE,
        "assessment_status": AssessmentStatus.DRAFT,
        "axis": axis,
        "level": str(level),
        "target_level": "",
        "target_date": "",
        "blockers": "",
        "comment": "",
        "siren": siren if org_kind == OrganisationKind.VENDOR else "",
    }
    return [values[column] for column in COLUMNS]


def template_csv(campaign: Campaign, organisation: Organisation | None) -> str:
    context = ReferentialContext.from_referential(campaign.referential)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(example_rows(campaign, context, organisation))
    return "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheet programs read UTF-8


def _targets(campaign: Campaign, kinds: list[str]) -> list[str]:
    """Service types then product categories, in the referential's order."""
    from convergence.referential.models import ProductCategory, ServiceType

    codes: list[str] = []
    if SubjectKind.SERVICE in kinds:
        codes += ServiceType.objects.filter(referential=campaign.referential_id).values_list(
            "code", flat=True
        )
    if SubjectKind.PRODUCT in kinds:
        codes += ProductCategory.objects.filter(referential=campaign.referential_id).values_list(
            "code", flat=True
        )
    return codes


def _code_lists(campaign: Campaign, context: ReferentialContext) -> dict[str, list]:
    kinds = _kinds(campaign)
    levels: list = list(range(context.scale_min, context.scale_max + 1))
    return {
        "type_or_category": _targets(campaign, kinds),
        "axis": list(context.axes),
        "status": list(SubjectStatus.values),
        "assessment_status": [AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED],
        "level": [*levels, "NA"],
        "target_level": levels[1:],
        "subject_kind": kinds,
        "organisation_kind": list(OrganisationKind.values),
        "region": list(REGIONS),
        "blockers": list(context.blocker_codes),
    }


def template_xlsx(campaign: Campaign, organisation: Organisation | None) -> bytes:
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    context = ReferentialContext.from_referential(campaign.referential)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    data = workbook.add_worksheet("dataset")
    help_sheet = workbook.add_worksheet("colonnes - columns")
    axes_sheet = workbook.add_worksheet(AXES_SHEET)
    codes = workbook.add_worksheet("codes")

    lists = _code_lists(campaign, context)
    for index, (name, values) in enumerate(lists.items()):
        codes.write_string(0, index, name, bold)
        for row, value in enumerate(values, start=1):
            if isinstance(value, int):
                codes.write_number(row, index, value)
            else:
                codes.write_string(row, index, str(value))
        codes.set_column(index, index, 22)
    codes.hide()

    for column, name in enumerate(COLUMNS):
        data.write_string(0, column, name, bold)
        # Text format: "01" stays a region code, "2027-12-31" a date string, not a number.
        data.set_column(column, column, 18, None if name in ("level", "target_level") else text)
    for row_index, example in enumerate(example_rows(campaign, context, organisation), start=1):
        for column, value in enumerate(example):
            if value:
                if COLUMNS[column] == "level" and value.isdigit():
                    data.write_number(row_index, column, int(value))
                else:
                    data.write_string(row_index, column, value)
    data.freeze_panes(1, 0)
    for name, values in lists.items():
        if name == "blockers" or not values:
            continue  # a free list: codes separated by ";", shown on the codes sheet
        column = COLUMNS.index(name)
        letter = xl_col_to_name(list(lists).index(name))
        data.data_validation(
            1,
            column,
            VALIDATED_ROWS,
            column,
            {
                "validate": "list",
                "source": f"=codes!${letter}$2:${letter}${len(values) + 1}",
                "error_title": name,
                "error_message": "Choisissez une valeur de la liste / choose a value from the list",
            },
        )
    campaign_column = COLUMNS.index("campaign")
    data.data_validation(
        1, campaign_column, VALIDATED_ROWS, campaign_column, {"validate": "list", "source": [campaign.code]}
    )

    help_sheet.write_row(0, 0, ["colonne / column", "français", "English"], bold)
    for row_index, name in enumerate(COLUMNS, start=1):
        french, english = COLUMN_HELP[name]
        help_sheet.write_row(row_index, 0, [name, french, english])
    note = len(COLUMNS) + 2
    help_sheet.write_string(
        note, 0, "La première feuille est importée ; une ligne par réponse (un axe d'un produit ou service)."
    )
    help_sheet.write_string(
        note + 1, 0, "The first sheet is imported; one row per answer (one axis of a product or service)."
    )
    help_sheet.write_string(
        note + 2,
        0,
        "La feuille « axes par type » liste les axes à renseigner pour chaque type de service ou "
        "catégorie de produit, avec le niveau attendu.",
    )
    help_sheet.write_string(
        note + 3,
        0,
        "The “axes by type” sheet lists the axes to answer for each service type or product "
        "category, with the expected level.",
    )
    help_sheet.set_column(0, 0, 20)
    help_sheet.set_column(1, 2, 70)
    _write_axes_sheet(axes_sheet, campaign, context, template_kinds(campaign, organisation), bold)
    workbook.close()
    return buffer.getvalue()


AXES_SHEET = "axes par type - axes by type"
KIND_NAMES: dict[str, str] = {SubjectKind.SERVICE: "service", SubjectKind.PRODUCT: "produit / product"}


def _write_axes_sheet(sheet, campaign: Campaign, context: ReferentialContext, kinds: list[str], bold) -> None:
    """Which axes each service type or product category answers (the referential's
    applicability): one row per type, one column per axis holding its expected level ("oui /
    yes": applies with no expected level; empty: does not apply, no row for that axis)."""
    axes = list(context.axes)
    header = [
        "type_or_category",
        "libellé / label",
        "nature / kind",
        "famille / family",
        "axes applicables (niveau attendu) / applicable axes (expected level)",
        *axes,
    ]
    sheet.write_row(0, 0, header, bold)
    for row_index, item in enumerate(applicability(campaign, kinds, context), start=1):
        sheet.write_row(
            row_index, 0, [item.code, item.name, KIND_NAMES[item.kind], item.family, item.axes_text()]
        )
        for offset, axis in enumerate(axes):
            if axis not in item.axes:
                continue
            expected = item.axes[axis]
            if expected is None:
                sheet.write_string(row_index, 5 + offset, "oui / yes")
            else:
                sheet.write_number(row_index, 5 + offset, expected)
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 36)
    sheet.set_column(2, 3, 20)
    sheet.set_column(4, 4, 50)
