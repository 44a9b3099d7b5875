"""Checks: records → problems and accepted entries, by the domain's own rules.

Each record is judged by the rule functions of the app that owns the rule —
`organisations.checks` (kind, name, region, SIREN, one agency, one ARS and one GRADeS per
region), `catalog.checks` (subject kind against its organisation's kind, type or category,
status, region, lengths), `assessments.validation.answer_problems` and `assessments.checks`
(campaign state, assessment status, submission completeness) — plus what only a file can get
wrong, the identity of records across the file: the same code twice, rows of one subject or
organisation that disagree, a second answer on an axis.

The checks read nothing themselves: what the database holds is handed in by `StoredData`
(`writer.py`), read in bulk. Rules that need the stored row (an update, a locked assessment)
are the `resolve_*` methods, which the writer calls with the rows it read for a batch.

The import's command line keeps its established wording (contract, section 1: scripts read it),
so a domain problem that the importer has always reported is shown in that wording
(`IMPORT_WORDING`); the decision is the domain rule's. New problems use the domain's wording.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from convergence.assessments import checks as assessment_rules
from convergence.assessments.enums import REPORTED_STATUSES, AssessmentStatus, CampaignScope, CampaignStatus
from convergence.assessments.validation import AnswerInput, ReferentialContext, answer_problems
from convergence.catalog import checks as subject_rules
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.checks import Problem
from convergence.lib.dates import as_date
from convergence.organisations import checks as organisation_rules
from convergence.organisations.models import Organisation

from .problems import ImportProblem, Message, Rendered, Text, languages
from .records import (
    AnswerRecord,
    FixedWhere,
    OrganisationRecord,
    RowRecord,
    RowWhere,
    SubjectRecord,
    Where,
    org_column,
    subject_column,
)

MAX_PROBLEMS = 500
ACTION_RANK = {"unchanged": 0, "updated": 1, "created": 2}
KINDS = ("organisations", "subjects", "assessments", "answers", "campaigns")
ASSESSMENT_STATUSES = frozenset(AssessmentStatus.values)
SCOPE_KIND = {CampaignScope.PRODUCTS: SubjectKind.PRODUCT, CampaignScope.SERVICES: SubjectKind.SERVICE}

# The importer's wording (contract, section 1), for problems it reported before the rules moved
# to their apps.
BAD_CODE = _("expected a code of letters, digits, '-' and '_', got %(value)s")
NAME_EXPECTED = _("expected a name (text of 1 to 300 characters)")
NEEDS_REGION = _("a %(kind)s organisation needs its region")
TEXT_TOO_LONG = _("expected text of at most %(limit)s characters")
NOT_OPEN = _('campaign "%(code)s" is not open; answers can no longer be imported')
LOCKED = _('the assessment of "%(code)s" is %(status)s and can no longer change')
LOCKED_ANSWER = _("the assessment is submitted or validated and can no longer change")


class TooManyProblems(Exception):
    pass


def _known(values: Iterable[str]) -> Text:
    values = list(values)
    return ", ".join(values) if values else _("none")


def _repr(values: Mapping[str, Any], name: str) -> str:
    return repr(values.get(name))


type Reworder = Callable[[Problem, Mapping[str, Any]], tuple[Text, dict[str, Any]]]


def _fixed(template: Text) -> Reworder:
    return lambda problem, values: (template, {})


def _with_value(template: Text, name: str) -> Reworder:
    return lambda problem, values: (
        template,
        {"value": _repr(values, name), "known": problem.params["known"]},
    )


def _too_long(problem: Problem, values: Mapping[str, Any]) -> tuple[Text, dict[str, Any]]:
    if problem.field == "code":
        return BAD_CODE, {"value": _repr(values, "code")}
    if problem.field == "name":
        return NAME_EXPECTED, {}
    return TEXT_TOO_LONG, {"limit": problem.params["limit"]}


def _unknown_target(template: Text) -> Reworder:
    def reword(problem: Problem, values: Mapping[str, Any]) -> tuple[Text, dict[str, Any]]:
        known = problem.params["known"]
        return template, {"code": problem.params["code"], "known": _known([]) if known == "—" else known}

    return reword


IMPORT_WORDING: list[tuple[Any, Reworder]] = [
    (organisation_rules.BAD_CODE, lambda problem, values: (BAD_CODE, {"value": _repr(values, "code")})),
    (organisation_rules.TEXT_TOO_LONG, _too_long),
    (organisation_rules.NAME_REQUIRED, _fixed(NAME_EXPECTED)),
    (subject_rules.NAME_REQUIRED, _fixed(NAME_EXPECTED)),
    (
        organisation_rules.UNKNOWN_KIND,
        _with_value(_("unknown organisation kind %(value)s; known kinds: %(known)s"), "kind"),
    ),
    (
        organisation_rules.REGION_REQUIRED,
        lambda problem, values: (NEEDS_REGION, {"kind": values.get("kind")}),
    ),
    (
        organisation_rules.UNKNOWN_REGION,
        _with_value(_("unknown region %(value)s; known regions: %(known)s"), "region"),
    ),
    (
        organisation_rules.SIREN_INVALID,
        lambda problem, values: (
            _("%(value)s is not a valid SIREN (9 digits with a valid check digit)"),
            {"value": repr(problem.params["value"])},
        ),
    ),
    (
        subject_rules.UNKNOWN_KIND,
        _with_value(_("unknown subject kind %(value)s; known kinds: %(known)s"), "kind"),
    ),
    (subject_rules.TYPE_REQUIRED, _fixed(_("a service needs its service type"))),
    (subject_rules.CATEGORY_REQUIRED, _fixed(_("a product needs its product category"))),
    (
        subject_rules.UNKNOWN_TYPE,
        _unknown_target(_('unknown service type "%(code)s"; known types: %(known)s')),
    ),
    (
        subject_rules.UNKNOWN_CATEGORY,
        _unknown_target(_('unknown product category "%(code)s"; known categories: %(known)s')),
    ),
    (
        subject_rules.UNKNOWN_STATUS,
        _with_value(_("unknown status %(value)s; known statuses: %(known)s"), "status"),
    ),
    (
        subject_rules.SERVICE_REGION_REQUIRED,
        _with_value(
            _("a service needs a region of the nomenclature, got %(value)s; known regions: %(known)s"),
            "region",
        ),
    ),
    (
        subject_rules.PRODUCT_HAS_NO_REGION,
        _fixed(_("a product has no region of its own (its organisation's counts)")),
    ),
]


def import_wording(problem: Problem, values: Mapping[str, Any]) -> Text:
    """The message of a domain problem as the import shows it."""
    for template, reword in IMPORT_WORDING:
        if problem.template is template:
            wording, params = reword(problem, values)
            return Message(wording, **params) if params else wording
    return Message(problem.template, **problem.params) if problem.params else problem.template


def _text(value: Any) -> str:
    """A value the file gave for a text field: text as is, nothing as empty, anything else shown
    as written (so that the rule refuses it and the message names it)."""
    if isinstance(value, str):
        return value
    return "" if value is None else repr(value)


# --- what the checks accept ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredOrganisation:
    id: int
    code: str
    name: str
    kind: str
    region: str
    siren: str


class StoredData(Protocol):
    """What the checks need to know of the database (read in bulk by the writer)."""

    def organisation(self, code: str) -> StoredOrganisation | None: ...

    def organisation_slots(self) -> set[tuple[str, str]]: ...

    def subject(self, code: str) -> dict[str, Any] | None: ...


@dataclass
class OrgEntry:
    code: str
    where: Where
    fields: dict[str, str]
    # Only some fields are stated by a flat file (the region by product rows, the SIREN by its
    # optional column); the others are left as stored.
    stated: set[str]
    creation_region: str = ""  # CSV: a service row gives the region of the ARS/GRADeS it creates
    id: int | None = None
    resolved: bool = False


@dataclass
class SubjectEntry:
    code: str
    where: Where
    kind: str
    type_or_category: str
    org_code: str
    fields: dict[str, str]
    ordinal: int
    from_file: bool = True  # False: a JSON assessment names a subject stored before
    status_in_file: str | None = None  # assessment status
    assessment_where: Where | None = None
    id: int | None = None
    assessment_id: int | None = None
    resolved: bool = False
    assessment_resolved: bool = False
    stored_read: bool = False  # its stored answers were read (and given to `stored_answer`)
    valid: bool = True


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    """A valid answer as stored, less its free texts (which do not change its validity)."""

    axis: str
    axis_id: int
    level: int | None
    not_applicable: bool
    milestones: tuple[tuple[int, datetime.date], ...]
    blockers: frozenset[int]
    answered: bool  # a level or "not applicable" (`assessments.checks.is_answered`)


@dataclass(slots=True)
class PendingAnswer:
    subject: SubjectEntry
    axis_id: int
    level: int | None
    not_applicable: bool
    reason: str
    comment: str
    milestones: tuple[tuple[int, datetime.date], ...]
    blockers: frozenset[int]
    where: Where  # for a problem found when writing
    milestone_mode: str = "exact"


@dataclass
class ImportOutcome:
    counts: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})
    problems: list[ImportProblem] = field(default_factory=list)
    truncated: bool = False
    rows: int = 0
    campaign_code: str = ""
    # What happens to each subject (code -> [name, action]), for the web preview. A subject
    # is "updated" when its own fields, its assessment or any of its answers change.
    subjects: dict[str, list[str]] = field(default_factory=dict)
    # The type or category code of each subject of the file (code -> type/category), for the preview.
    targets: dict[str, str] = field(default_factory=dict)

    def mark(self, code: str, name: str, action: str) -> None:
        current = self.subjects.get(code)
        if current is None:
            self.subjects[code] = [name, action]
        elif ACTION_RANK[action] > ACTION_RANK[current[1]]:
            current[1] = action

    def total(self, what: str) -> int:
        return sum(counter[what] for counter in self.counts.values())

    @property
    def summary(self) -> str:
        return (
            f"created {self.total('created')}, updated {self.total('updated')}, "
            f"unchanged {self.total('unchanged')}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {kind: dict(counter) for kind, counter in self.counts.items() if counter}


# --- the checks ------------------------------------------------------------------------------


class DatasetChecks:
    """The checks of one import. `organisation` restricts it to that organisation's data (web
    import by a member); None means the command line or the agency: any organisation."""

    def __init__(self, *, stored: StoredData, organisation: Organisation | None, outcome: ImportOutcome):
        self.stored = stored
        self.restrict_to = organisation
        self.outcome = outcome
        self.campaign: Any = None  # the Campaign, once known
        self.context: ReferentialContext | None = None
        self.axis_index: dict[str, int] = {}
        self.axis_codes: dict[int, str] = {}  # axis id -> code
        self.known_targets: dict[str, frozenset[str]] = {}
        self.orgs: dict[str, OrgEntry] = {}
        self.subjects: dict[str, SubjectEntry] = {}
        self.pending_orgs: list[OrgEntry] = []
        self.pending_subjects: list[SubjectEntry] = []
        self.pending_answers: list[PendingAnswer] = []
        self.assessment_only: list[SubjectEntry] = []  # JSON assessments without answers
        self.assessed: set[str] = set()  # JSON: subjects with an assessment in the file
        # Codes whose record was refused: what names them says nothing more (already reported).
        self.refused_orgs: set[str] = set()
        self.refused_subjects: set[str] = set()
        # Per (subject, axis): 0 not in the file, 1 answered in progress, 2 answered (a level or
        # not applicable), for the second-answer and the submission rules.
        self.seen_pairs = bytearray()
        # Per (subject, axis): 1 when the stored assessment had that axis answered (read by the
        # writer with the stored answers it compares), for the submission rule.
        self.stored_pairs = bytearray()
        self.axis_positions: dict[int, int] = {}  # axis id -> index
        self.answer_checks: dict[tuple, tuple[list[tuple[str, Text]], CheckedAnswer | None]] = {}
        self.locked: set[int] = set()  # assessments a member may no longer change
        self.slots: set[tuple[str, str]] | None = None
        self.today = datetime.date.today()
        self._last_org: tuple[OrganisationRecord, OrgEntry] | None = None
        self._last_subject: tuple[SubjectRecord, str, SubjectEntry] | None = None

    # --- problems ---------------------------------------------------------------------------

    def report(self, where: str, message: Text, params: Mapping[str, Any] | None = None) -> None:
        """Record a problem at `where`: `message` is a lazily translated template (English
        source) and `params` its `%(name)s` values, put in the reader's language when shown."""
        self.outcome.problems.append(ImportProblem(where, Message(message, **params) if params else message))
        if len(self.outcome.problems) >= MAX_PROBLEMS:
            self.outcome.truncated = True
            raise TooManyProblems

    def report_domain(self, problems: Iterable[Problem], where: Where, values: Mapping[str, Any]) -> None:
        for problem in problems:
            self.report(where(problem.field), import_wording(problem, values))

    @property
    def failed(self) -> bool:
        return bool(self.outcome.problems)

    # --- campaign ---------------------------------------------------------------------------

    def use_campaign(self, campaign: Any) -> None:
        self.campaign = campaign
        self.outcome.campaign_code = campaign.code
        self.context = context = ReferentialContext.from_referential(campaign.referential)
        self.axis_index = {code: index for index, code in enumerate(context.axes)}
        self.axis_codes = {axis.id: code for code, axis in context.axes.items()}
        self.axis_positions = {context.axes[code].id: index for code, index in self.axis_index.items()}
        self.known_targets = {
            kind: frozenset(code for k, code in context.expectations if k == kind)
            for kind in SubjectKind.values
        }
        # A member writes answers of an open campaign only (assessments.checks); the agency's
        # import defines past campaigns as they were (contract, section 3), closed ones included.
        if self.restrict_to is not None and assessment_rules.campaign_state_problems(
            campaign.status, write=assessment_rules.Write.ANSWER, campaign_code=campaign.code
        ):
            self.report("campaign", NOT_OPEN, {"code": campaign.code})

    def campaign_values(self, data: Any) -> tuple[str, dict[str, Any]] | None:
        """JSON: the campaign's code and values, or None after reporting its problems."""
        where = "campaign"
        if not isinstance(data, dict):
            self.report(where, _("expected an object with code, title, opens_on, closes_on"))
            return None
        allowed = {"code", "title", "opens_on", "closes_on", "scope", "status", "instructions"}
        for key in sorted(set(data) - allowed):
            self.report(
                f"{where}.{key}",
                _("unknown key; known keys: %(known)s"),
                {"known": ", ".join(sorted(allowed))},
            )
        code = data.get("code")
        if not isinstance(code, str) or not organisation_rules.CODE_RE.match(code):
            self.report(f"{where}.code", _("expected a code of letters, digits, '-' and '_'"))
            return None
        values: dict[str, Any] = {}
        title = data.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            self.report(f"{where}.title", _("expected a title (text of 1 to 300 characters)"))
        else:
            values["title"] = title.strip()
        for key in ("opens_on", "closes_on"):
            parsed = as_date(data.get(key))
            if parsed is None:
                self.report(
                    f"{where}.{key}",
                    _("expected a date YYYY-MM-DD, got %(value)s"),
                    {"value": repr(data.get(key))},
                )
            else:
                values[key] = parsed
        if "opens_on" in values and "closes_on" in values and values["closes_on"] < values["opens_on"]:
            self.report(f"{where}.closes_on", _("the campaign closes before it opens"))
        for key, choices, unknown in (
            ("scope", CampaignScope.values, _("unknown scope %(value)s; known: %(known)s")),
            ("status", CampaignStatus.values, _("unknown status %(value)s; known: %(known)s")),
        ):
            if key in data:
                if data[key] not in choices:
                    self.report(
                        f"{where}.{key}", unknown, {"value": repr(data[key]), "known": ", ".join(choices)}
                    )
                else:
                    values[key] = data[key]
        if "instructions" in data:
            if not isinstance(data["instructions"], str):
                self.report(f"{where}.instructions", _("expected text"))
            else:
                values["instructions"] = data["instructions"]
        return code, values

    def row_campaign(self, code: str, row: int, find: Callable[[str], Any]) -> bool:
        """CSV: every row names the campaign, which must exist; one campaign per file."""
        if self.campaign is not None and code == self.campaign.code:
            return True
        where = f"row {row}, column campaign"
        if self.campaign is not None:
            if code != self.campaign.code:
                self.report(
                    where,
                    _('all rows must be of one campaign: "%(first)s" (row 2), not "%(code)s"'),
                    {"first": self.campaign.code, "code": code},
                )
                return False
            return True
        campaign = find(code)
        if campaign is None:
            self.report(
                where,
                _('unknown campaign "%(code)s"; the campaign must exist before a CSV or XLSX import'),
                {"code": code},
            )
            return False
        self.use_campaign(campaign)
        return True

    # --- organisations ----------------------------------------------------------------------

    def row_organisation(self, record: OrganisationRecord, row: int) -> OrgEntry | None:
        """A row's organisation: checked once for a run of rows repeating its cells (a failed
        one again on each row, so that every row names its problem)."""
        last = self._last_org
        if last is not None and last[0] is record:
            return last[1]
        entry = self.organisation(record, RowWhere(row, org_column))
        self._last_org = (record, entry) if entry is not None else None
        return entry

    def organisation(self, record: OrganisationRecord, where: Where) -> OrgEntry | None:
        """An organisation's description taken alone (`organisations.checks`), then against the
        file's other descriptions of it. The rules on the whole stored record (a SIREN or a
        region the file does not state, one agency, one ARS/GRADeS per region) wait for
        `resolve_organisation`, when the stored row is known."""
        raw = {"code": record.code, "name": record.name, "kind": record.kind, "region": record.region}
        code = _text(record.code)
        problems = organisation_rules.code_problems(Organisation, code)
        if problems:
            self.report_domain(problems[:1], where, raw)
            return None
        if self.restrict_to is not None and code != self.restrict_to.code:
            self.report(
                where("code"),
                _('you can only import the data of your organisation "%(mine)s", not "%(code)s"'),
                {"mine": self.restrict_to.code, "code": code},
            )
            return None
        stated = record.stated
        name, kind = _text(record.name), _text(record.kind)
        region = _text(record.region) if "region" in stated else ""
        siren = organisation_rules.normalise_siren(_text(record.siren)) if "siren" in stated else ""
        problems = [
            problem
            for problem in organisation_rules.organisation_problems(
                kind=kind, name=name, region=region, siren=siren
            )
            # A field the file does not state is left as stored: judged with the stored row.
            if problem.field in stated or problem.field not in ("region", "siren")
        ]
        if problems:
            self.report_domain(problems, where, raw)
            self.refused_orgs.add(code)
            return None
        fields = {"name": name.strip(), "kind": kind}
        if "region" in stated:
            fields["region"] = region
        if "siren" in stated:
            fields["siren"] = siren
        entry = self.orgs.get(code)
        if entry is None:
            entry = OrgEntry(
                code=code,
                where=where,
                fields=fields,
                stated=set(stated),
                creation_region=record.creation_region,
            )
            self.orgs[code] = entry
            self.pending_orgs.append(entry)
            return entry
        # Seen before: descriptions of one organisation must agree.
        for key, value in fields.items():
            if key in entry.fields and entry.fields[key] != value:
                self.report(
                    where(key),
                    _('"%(value)s" differs from "%(first)s" given for organisation "%(code)s" at %(where)s'),
                    {"value": value, "first": entry.fields[key], "code": code, "where": entry.where("code")},
                )
                return None
            if key not in entry.fields:
                entry.fields[key] = value
                entry.stated.add(key)
                if entry.resolved:  # already written: write again with the new field
                    entry.resolved = False
                    self.pending_orgs.append(entry)
        return entry

    def resolve_organisation(
        self, entry: OrgEntry, stored: StoredOrganisation | None
    ) -> dict[str, str] | None:
        """What to write for an organisation against its stored row: the fields to create or
        update it with ({} when unchanged), or None when refused (the problems are reported)."""
        if self.restrict_to is not None:
            # A member's import never creates nor renames organisations.
            if stored is None or stored.id != self.restrict_to.pk:
                self.report(entry.where("code"), _('unknown organisation "%(code)s"'), {"code": entry.code})
                return None
            if entry.fields.get("kind") != stored.kind:
                self.report(entry.where("kind"), _('your organisation is "%(kind)s"'), {"kind": stored.kind})
            return {}
        if stored is None:
            regional = entry.fields.get("kind") in organisation_rules.REGIONAL_KINDS
            record = {"region": entry.creation_region if regional else "", "siren": "", **entry.fields}
            changed = record
        else:
            current = {
                "name": stored.name,
                "kind": stored.kind,
                "region": stored.region,
                "siren": stored.siren,
            }
            record = {**current, **entry.fields}
            changed = {key: value for key, value in record.items() if current[key] != value}
            if not changed:
                return {}
        problems = organisation_rules.organisation_problems(
            kind=record["kind"], name=record["name"], region=record["region"], siren=record["siren"]
        )
        if stored is not None and "kind" not in changed:
            # An update leaves what the file does not state as it was stored.
            problems = [p for p in problems if p.field in entry.stated or p.field not in ("region", "siren")]
        slot = (record["kind"], record["region"])
        if not problems and (stored is None or (stored.kind, stored.region) != slot):
            if self.slots is None:
                self.slots = self.stored.organisation_slots()
            problems = organisation_rules.organisation_uniqueness_problems(
                kind=record["kind"], region=record["region"], existing=self.slots
            )
        if problems:
            self.report_domain(problems, entry.where, record)
            return None
        if self.slots is not None:
            self.slots.add(slot)
        return (
            {key: record[key] for key in ("name", "kind", "region", "siren")} if stored is None else changed
        )

    # --- subjects ---------------------------------------------------------------------------

    def row_subject(self, record: SubjectRecord, status: str, row: int) -> SubjectEntry | None:
        last = self._last_subject
        if last is not None and last[0] is record and last[1] == status:
            return last[2]
        where = RowWhere(row, subject_column)
        entry = self.subject(record, where)
        if entry is None or not self.assessment_status(entry, status, where):
            self._last_subject = None
            return None
        self._last_subject = (record, status, entry)
        return entry

    def _declaring_organisation(self, code: str) -> tuple[str, str] | None:
        """(kind, region) of the organisation a subject names: the file's, else the stored one."""
        entry = self.orgs.get(code)
        if entry is not None:
            return entry.fields.get("kind", ""), entry.fields.get("region") or entry.creation_region
        if code in self.refused_orgs:
            return "", ""
        stored = self.stored.organisation(code)
        if stored is None or (self.restrict_to is not None and stored.id != self.restrict_to.pk):
            return None
        return stored.kind, stored.region

    def subject(self, record: SubjectRecord, where: Where) -> SubjectEntry | None:
        """A subject taken alone (`catalog.checks`, against its organisation's kind and region),
        against the campaign's scope, then against the file's other descriptions of it."""
        assert self.context is not None
        raw = {"code": record.code, "kind": record.kind, "status": record.status, "region": record.region}
        code = _text(record.code)
        problems = subject_rules.code_problems(Subject, code)
        if problems:
            self.report_domain(problems[:1], where, raw)
            return None
        if record.full and code in self.subjects:
            self.report(where("code"), _("subject %(code)s is listed twice"), {"code": repr(code)})
            return None
        kind, name, type_code = _text(record.kind), _text(record.name), _text(record.type_or_category)
        status = _text(record.status) or SubjectStatus.ACTIVE
        region = _text(record.region)
        org_code = _text(record.organisation)
        ok = True
        declaring = None
        if not org_code:
            self.report(where("organisation"), _("expected the code of an organisation"))
        else:
            declaring = self._declaring_organisation(org_code)
            if declaring is None:
                self.report(
                    where("organisation"),
                    _('unknown organisation "%(code)s"; declare it in "organisations"'),
                    {"code": org_code},
                )
        if declaring is None or declaring == ("", ""):
            self.refused_subjects.add(code)
            return None
        org_kind, org_region = declaring
        problems = subject_rules.subject_problems(
            kind=kind,
            organisation_kind=org_kind,
            name=name,
            type_or_category=type_code,
            known_codes=self.known_targets.get(kind, frozenset()),
            referential=self.context.code,
            status=status,
            region=region,
            organisation_region=org_region,
            organisation=org_code,
            version=_text(record.version),
            product_reference=_text(record.product_reference),
        )
        if problems:
            self.report_domain(problems, where, raw)
            ok = False
        description = _text(record.description)
        if record.full and len(description) > 10_000:
            self.report(where("description"), TEXT_TOO_LONG, {"limit": 10_000})
            ok = False
        campaign = self.campaign
        in_scope = (
            campaign is None or campaign.scope == CampaignScope.BOTH or SCOPE_KIND[campaign.scope] == kind
        )
        if kind in SubjectKind.values and not in_scope:
            self.report(
                where("kind"),
                _('campaign "%(code)s" assesses %(scope)s only'),
                {"code": campaign.code, "scope": campaign.scope},
            )
            ok = False
        if not ok:
            self.refused_subjects.add(code)
            return None
        fields = {
            "name": name.strip(),
            "status": status,
            "region": region if kind == SubjectKind.SERVICE else "",
        }
        if record.full:
            fields.update(version=_text(record.version), product_reference=_text(record.product_reference))
            fields["description"] = description
        entry = self.subjects.get(code)
        if entry is None:
            entry = SubjectEntry(
                code=code,
                where=where,
                kind=kind,
                type_or_category=type_code,
                org_code=org_code,
                fields=fields,
                ordinal=len(self.subjects),
            )
            self.subjects[code] = entry
            self.pending_subjects.append(entry)
            self._new_pairs()
            return entry
        # Rows of one subject must agree on the subject's columns.
        mine = {"kind": kind, "type_or_category": type_code, "organisation": org_code, **fields}
        theirs = {
            "kind": entry.kind,
            "type_or_category": entry.type_or_category,
            "organisation": entry.org_code,
        }
        theirs.update(entry.fields)
        for key, value in mine.items():
            if theirs.get(key) != value:
                self.report(
                    where(key),
                    _('"%(value)s" differs from "%(first)s" given for subject "%(code)s" at %(where)s'),
                    {"value": value, "first": theirs.get(key), "code": code, "where": entry.where("code")},
                )
                return None
        return entry

    def stored_subject(self, code: Any, where: str) -> SubjectEntry | None:
        """JSON: an assessment of a subject of the file, or of one stored before (not in the file)."""
        if not isinstance(code, str):
            self.report(where, _("expected the code of a subject"))
            return None
        if code in self.assessed:
            self.report(
                where, _('a second assessment of "%(code)s" (one per subject per campaign)'), {"code": code}
            )
            return None
        self.assessed.add(code)
        entry = self.subjects.get(code)
        if entry is not None:
            return entry
        if code in self.refused_subjects:
            return None
        subject = self.stored.subject(code)
        if subject is None:
            self.report(
                where,
                _('unknown subject "%(code)s"; declare it in "subjects" or import it first'),
                {"code": code},
            )
            return None
        if self.restrict_to is not None and subject["organisation_id"] != self.restrict_to.pk:
            self.report(
                where,
                _('the code "%(code)s" is already used by another organisation\'s subject'),
                {"code": code},
            )
            return None
        entry = SubjectEntry(
            code=code,
            where=FixedWhere(where),
            kind=subject["kind"],
            type_or_category=subject["type_or_category"],
            org_code=subject["organisation__code"],
            fields={},
            ordinal=len(self.subjects),
            from_file=False,
            id=subject["id"],
            resolved=True,
        )
        self.subjects[code] = entry
        self._new_pairs()
        return entry

    def resolve_subject(self, entry: SubjectEntry, stored: Subject | None, org_id: int) -> list[str] | None:
        """The fields of a stored subject that the file changes, or None when it may not."""
        if stored is None:
            return []
        if self.restrict_to is not None and stored.organisation_id != self.restrict_to.pk:
            self.report(
                entry.where("code"),
                _('the code "%(code)s" is already used by another organisation\'s subject'),
                {"code": entry.code},
            )
            return None
        values = {"kind": entry.kind, "type_or_category": entry.type_or_category, **entry.fields}
        changed = [key for key, value in values.items() if getattr(stored, key) != value]
        if stored.organisation_id != org_id:
            changed.append("organisation")
        return changed

    # --- assessments ------------------------------------------------------------------------

    def assessment_status(self, entry: SubjectEntry, status: Any, where: Where) -> bool:
        if status not in ASSESSMENT_STATUSES:
            self.report(
                where("assessment"),
                _("unknown assessment status %(value)s; known: %(known)s"),
                {"value": repr(status), "known": ", ".join(AssessmentStatus.values)},
            )
            return False
        if self.restrict_to is not None and status not in (
            AssessmentStatus.DRAFT,
            AssessmentStatus.SUBMITTED,
        ):
            self.report(
                where("assessment"),
                _('only the agency may import an assessment as "%(status)s"; use draft or submitted'),
                {"status": status},
            )
            return False
        if entry.status_in_file is None:
            entry.status_in_file = status
            entry.assessment_where = where
        elif entry.status_in_file != status:
            self.report(
                where("assessment"),
                _('"%(status)s" differs from "%(first)s" given for subject "%(code)s"'),
                {"status": status, "first": entry.status_in_file, "code": entry.code},
            )
            return False
        return True

    def resolve_assessment(self, entry: SubjectEntry, assessment_id: int, stored_status: str) -> bool:
        """Whether the file may set the stored assessment's status (a member's submitted or
        validated assessment is frozen: `assessments.checks`)."""
        if self.restrict_to is not None and assessment_rules.assessment_status_problems(
            stored_status, write=assessment_rules.Write.ANSWER
        ):
            self.locked.add(assessment_id)
        status = entry.status_in_file or AssessmentStatus.DRAFT
        if stored_status != status and assessment_id in self.locked:
            self.report(entry.where("code"), LOCKED, {"code": entry.code, "status": stored_status})
            return False
        return True

    def resolve_answer_change(self, record: PendingAnswer) -> bool:
        if record.subject.assessment_id in self.locked:
            self.report(record.where(""), LOCKED_ANSWER)
            return False
        return True

    def _new_pairs(self) -> None:
        width = b"\x00" * max(len(self.axis_index), 1)
        self.seen_pairs.extend(width)
        self.stored_pairs.extend(width)

    def stored_answer(self, entry: SubjectEntry, axis_id: int) -> None:
        """The writer read a stored answer with a level or "not applicable" on this axis."""
        position = self.axis_positions.get(axis_id)
        if position is not None:
            self.stored_pairs[entry.ordinal * max(len(self.axis_index), 1) + position] = 1

    def submissions(self, read_stored: Callable[[list[SubjectEntry]], None]) -> None:
        """A submitted or validated assessment has every applicable axis answered (the rule of
        `assessment_submit`, `assessments.checks.submission_problems`): the file's answers, and
        the stored answers of the axes the file does not mention. `read_stored` has the writer
        read the stored answers it did not read while writing (`stored_answer`)."""
        assert self.context is not None
        entries = [
            entry
            for entry in self.subjects.values()
            if entry.valid and entry.status_in_file in REPORTED_STATUSES and entry.assessment_id is not None
        ]
        read_stored(entries)
        width = max(len(self.axis_index), 1)
        seen, stored = self.seen_pairs, self.stored_pairs
        codes = list(self.axis_index)
        for entry in entries:
            base = entry.ordinal * width
            answered = {
                code
                for index, code in enumerate(codes)
                if seen[base + index] == 2 or (not seen[base + index] and stored[base + index])
            }
            applicable = self.context.applicable_axes(entry.kind, entry.type_or_category)
            problems = assessment_rules.submission_problems(applicable, answered)
            if problems:
                where = entry.assessment_where or entry.where
                self.report_domain(problems, where, {})

    # --- answers ----------------------------------------------------------------------------

    def answer(self, entry: SubjectEntry, record: AnswerRecord | RowRecord) -> None:
        """Check one answer (once per distinct combination of a row's answer cells) and keep it."""
        cells = record.cells
        if cells is not None and record.milestone_mode == "exact":
            # JSON: the cells are the answer's own; its subject's kind and type come from the entry.
            cells = (entry.kind, entry.type_or_category, cells)
        if cells is None:
            problems, checked = self.check_answer(entry.kind, entry.type_or_category, record.value())
        else:
            found = self.answer_checks.get(cells)
            if found is None:
                found = self.check_answer(entry.kind, entry.type_or_category, record.value())
                if len(self.answer_checks) >= 100_000:  # memory bound
                    self.answer_checks.clear()
                self.answer_checks[cells] = found
            problems, checked = found
        for location, message in problems:
            self.report(record.where(location), message)
        if checked is None:
            return
        index = entry.ordinal * len(self.axis_index) + self.axis_index[checked.axis]
        if self.seen_pairs[index]:
            self.report(
                record.where("axis"),
                _('a second answer on axis %(axis)s for subject "%(code)s"'),
                {"axis": checked.axis, "code": entry.code},
            )
            return
        self.seen_pairs[index] = 2 if checked.answered else 1
        self.pending_answers.append(
            PendingAnswer(
                subject=entry,
                axis_id=checked.axis_id,
                level=checked.level,
                not_applicable=checked.not_applicable,
                reason=record.reason,
                comment=record.comment,
                milestones=checked.milestones,
                blockers=checked.blockers,
                where=record.location(),
                milestone_mode=record.milestone_mode,
            )
        )

    def check_answer(
        self, kind: str, type_or_category: str, answer: AnswerInput
    ) -> tuple[list[tuple[str, Text]], CheckedAnswer | None]:
        """The answer's problems (field, message), or what is stored of it. A pure function of
        its arguments, so the result may be reused for identical cells."""
        assert self.context is not None
        context = self.context

        def check() -> list[Any]:
            return answer_problems(
                answer,
                context=context,
                subject_kind=kind,
                type_or_category=type_or_category,
                allow_past_milestones=True,
                today=self.today,
            )

        problems = check()
        if problems:
            # The validator writes its messages in the active language: ask it again in each
            # language of the site (only for an invalid answer), so that the problem can be
            # shown in the reader's language (and printed in English by the command line).
            texts: dict[str, list[Any]] = {}
            for language in languages():
                with override(language):
                    texts[language] = check()
            return [
                (
                    problem.field,
                    Rendered({language: found[index].message for language, found in texts.items()}),
                )
                for index, problem in enumerate(problems)
            ], None
        milestones = [(int(m.level), cast(datetime.date, as_date(m.due_on))) for m in answer.milestones]
        return [], CheckedAnswer(
            axis=answer.axis,
            axis_id=context.axes[answer.axis].id,
            level=answer.level,
            not_applicable=answer.not_applicable,
            milestones=tuple(sorted(milestones, key=lambda m: (m[1], m[0]))),
            blockers=frozenset(context.blocker_codes[code] for code in answer.blockers),
            answered=assessment_rules.is_answered(level=answer.level, not_applicable=answer.not_applicable),
        )
