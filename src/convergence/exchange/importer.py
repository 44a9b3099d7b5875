"""The dataset import engine: validate records one at a time, write them in batches.

Readers (`formats.py`) turn a file into records; `DatasetImporter` checks each record as it
comes (pure checks, answers through `convergence.assessments.validation`), remembers only
what later records need (one small entry per organisation and subject, a bitmap of the
(subject, axis) pairs seen), and writes every `CHUNK` answers with a fixed number of queries
(`bulk_create` / `bulk_update`, never a query per row). The caller runs it inside one
transaction and rolls it back when a problem was found or for a preview: all or nothing.

Per-row history (django-simple-history) is deliberately not written by bulk operations: a
national import would double its writes. The import itself is recorded once (`ImportRun`).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import F, Field, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from convergence.assessments.enums import EDITABLE_STATUSES, AssessmentStatus, CampaignScope, CampaignStatus
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.assessments.validation import (
    AnswerInput,
    MilestoneInput,
    Problem,
    ReferentialContext,
    answer_problems,
)
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.dates import as_date
from convergence.lib.regions import REGIONS
from convergence.lib.siren import is_valid_siren
from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation
from convergence.referential.models import Referential

from .problems import ImportProblem, Message, Rendered, Text, languages

CHUNK = 20_000  # answers held before a write; memory stays small (one short record each)
BATCH = 2000
MAX_PROBLEMS = 500
CODE_RE = re.compile(r"[-a-zA-Z0-9_]+\Z")  # SlugField
REGIONAL_KINDS = (OrganisationKind.ARS, OrganisationKind.GRADES)
KINDS = ("organisations", "subjects", "assessments", "answers", "campaigns")
# Enum `.values` builds a new list at each call; the import checks them on every row.
ORG_KINDS = frozenset(OrganisationKind.values)
SUBJECT_KINDS = frozenset(SubjectKind.values)
SUBJECT_STATUSES = frozenset(SubjectStatus.values)
ASSESSMENT_STATUSES = frozenset(AssessmentStatus.values)
ACTION_RANK = {"unchanged": 0, "updated": 1, "created": 2}


def where_in[M: Model](
    queryset: QuerySet[M], column: str, values: list[Any], sql_type: str = "bigint"
) -> QuerySet[M]:
    """`column IN values` on the queryset's own table. PostgreSQL: one array parameter
    (`= ANY(%s)`): no query text of thousands of placeholders for Django to compile and
    psycopg to parse, and the planner uses the column's index (the form joined back to the
    answers seq-scanned the whole answer table for every group once it had grown since its
    last ANALYZE). Elsewhere a plain IN."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{column}__in": values})
    quote = connection.ops.quote_name
    table = quote(queryset.model._meta.db_table)
    return queryset.extra(where=[f"{table}.{quote(column)} = ANY(%s::{sql_type}[])"], params=[values])  # noqa: S610


class TooManyProblems(Exception):
    pass


def _known(values: Iterable[str]) -> Text:
    values = list(values)
    return ", ".join(values) if values else _("none")


# Messages used in several places.
UNKNOWN_KEY = _("unknown key; known keys: %(known)s")
BAD_CODE = _("expected a code of letters, digits, '-' and '_', got %(value)s")
NEEDS_REGION = _("a %(kind)s organisation needs its region")
TEXT_TOO_LONG = _("expected text of at most %(limit)s characters")


@dataclass
class OrgEntry:
    code: str
    where: str
    fields: dict[str, str]
    # CSV: only some fields are stated by the file (the region only by product rows).
    stated: set[str]
    creation_region: str = ""  # CSV: a service row gives the region of the ARS/GRADeS it creates
    id: int | None = None
    resolved: bool = False


@dataclass
class SubjectEntry:
    code: str
    where: str
    kind: str
    type_or_category: str
    org_code: str
    fields: dict[str, str]
    ordinal: int
    status_in_file: str | None = None  # assessment status
    id: int | None = None
    assessment_id: int | None = None
    resolved: bool = False
    assessment_resolved: bool = False
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


@dataclass(slots=True)
class AnswerRecord:
    subject: SubjectEntry
    axis_id: int
    level: int | None
    not_applicable: bool
    reason: str
    comment: str
    milestones: tuple[tuple[int, datetime.date], ...]
    blockers: frozenset[int]
    where: Callable[[str], str]  # the location, computed only for a problem
    # "exact": the file gives every milestone (JSON); "first": it gives the first one (CSV).
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


class DatasetImporter:
    """One import. `organisation` restricts it to that organisation's data (web import by a
    member); None means the command line or the agency: any organisation."""

    def __init__(
        self, *, organisation: Organisation | None = None, progress: Callable[[int], None] | None = None
    ):
        self.restrict_to = organisation
        self.progress = progress
        self.outcome = ImportOutcome()
        self.campaign: Campaign | None = None
        self.context: ReferentialContext | None = None
        self.axis_index: dict[str, int] = {}
        self.orgs: dict[str, OrgEntry] = {}
        self.subjects: dict[str, SubjectEntry] = {}
        self.pending_orgs: list[OrgEntry] = []
        self.pending_subjects: list[SubjectEntry] = []
        self.pending_answers: list[AnswerRecord] = []
        self.seen_pairs = bytearray()
        self.bumped: set[int] = set()
        # Assessments inserted by this import: they have no answers yet in the database, so
        # their answers need no lookup (a first import then reads nothing back).
        self.created_assessments: set[int] = set()
        self.created_subjects: set[int] = set()  # likewise: no assessment to look up
        self.locked: set[int] = set()  # assessments a member may no longer change
        self.assessment_only: list[SubjectEntry] = []  # JSON assessments without answers
        self.now = timezone.now()
        self.today = timezone.localdate()

    # --- problems -----------------------------------------------------------------------

    def problem(self, where: str, message: Text, /, **params: Any) -> None:
        """Record a problem at `where`: `message` is a lazily translated template (English
        source) and `params` its `%(name)s` values, put in the reader's language when shown."""
        self.outcome.problems.append(ImportProblem(where, Message(message, **params) if params else message))
        if len(self.outcome.problems) >= MAX_PROBLEMS:
            self.outcome.truncated = True
            raise TooManyProblems

    @property
    def failed(self) -> bool:
        return bool(self.outcome.problems)

    # --- campaign -----------------------------------------------------------------------

    def use_campaign(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.outcome.campaign_code = campaign.code
        self.context = ReferentialContext.from_referential(campaign.referential)
        self.axis_index = {code: index for index, code in enumerate(self.context.axes)}
        if self.restrict_to is not None and campaign.status != CampaignStatus.OPEN:
            self.problem(
                "campaign",
                _('campaign "%(code)s" is not open; answers can no longer be imported'),
                code=campaign.code,
            )

    def campaign_from_json(self, data: Any, referential_code: Any) -> None:
        where = "campaign"
        if not isinstance(data, dict):
            self.problem(where, _("expected an object with code, title, opens_on, closes_on"))
            return
        allowed = {"code", "title", "opens_on", "closes_on", "scope", "status", "instructions"}
        for key in sorted(set(data) - allowed):
            self.problem(f"{where}.{key}", UNKNOWN_KEY, known=", ".join(sorted(allowed)))
        code = data.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            self.problem(f"{where}.code", _("expected a code of letters, digits, '-' and '_'"))
            return
        referential = None
        if not isinstance(referential_code, str):
            self.problem("referential", _("expected the code of a loaded referential"))
        else:
            referential = Referential.objects.filter(code=referential_code).first()
            if referential is None:
                known = _known(Referential.objects.order_by("code").values_list("code", flat=True))
                self.problem(
                    "referential",
                    _(
                        'unknown referential "%(code)s"; load it first (convergence import_referential); '
                        "known: %(known)s"
                    ),
                    code=referential_code,
                    known=known,
                )
        values: dict[str, Any] = {}
        title = data.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            self.problem(f"{where}.title", _("expected a title (text of 1 to 300 characters)"))
        else:
            values["title"] = title.strip()
        for key in ("opens_on", "closes_on"):
            parsed = as_date(data.get(key))
            if parsed is None:
                self.problem(
                    f"{where}.{key}",
                    _("expected a date YYYY-MM-DD, got %(value)s"),
                    value=repr(data.get(key)),
                )
            else:
                values[key] = parsed
        if "opens_on" in values and "closes_on" in values and values["closes_on"] < values["opens_on"]:
            self.problem(f"{where}.closes_on", _("the campaign closes before it opens"))
        for key, choices, unknown in (
            ("scope", CampaignScope.values, _("unknown scope %(value)s; known: %(known)s")),
            ("status", CampaignStatus.values, _("unknown status %(value)s; known: %(known)s")),
        ):
            if key in data:
                if data[key] not in choices:
                    self.problem(f"{where}.{key}", unknown, value=repr(data[key]), known=", ".join(choices))
                else:
                    values[key] = data[key]
        if "instructions" in data:
            if not isinstance(data["instructions"], str):
                self.problem(f"{where}.instructions", _("expected text"))
            else:
                values["instructions"] = data["instructions"]
        if self.failed or referential is None:
            return
        campaign = Campaign.objects.select_related("referential").filter(code=code).first()
        counter = self.outcome.counts["campaigns"]
        if campaign is None:
            campaign = Campaign.objects.create(code=code, referential=referential, **values)
            counter["created"] += 1
        else:
            if campaign.referential_id != referential.pk:
                self.problem(
                    "referential",
                    _('campaign "%(code)s" uses referential "%(used)s", not "%(given)s"'),
                    code=code,
                    used=campaign.referential.code,
                    given=referential.code,
                )
                return
            changed = {key: value for key, value in values.items() if getattr(campaign, key) != value}
            if changed:
                for key, value in changed.items():
                    setattr(campaign, key, value)
                campaign.save()
                counter["updated"] += 1
            else:
                counter["unchanged"] += 1
        self.use_campaign(campaign)

    def campaign_from_row(self, code: str, where: str) -> bool:
        """CSV: every row names the campaign, which must exist; one campaign per file."""
        if self.campaign is not None:
            if code != self.campaign.code:
                self.problem(
                    where,
                    _('all rows must be of one campaign: "%(first)s" (row 2), not "%(code)s"'),
                    first=self.campaign.code,
                    code=code,
                )
                return False
            return True
        campaign = Campaign.objects.select_related("referential").filter(code=code).first()
        if campaign is None:
            self.problem(
                where,
                _('unknown campaign "%(code)s"; the campaign must exist before a CSV or XLSX import'),
                code=code,
            )
            return False
        self.use_campaign(campaign)
        return True

    # --- organisations ------------------------------------------------------------------

    def organisation(
        self, where: Callable[[str], str], values: dict[str, Any], stated: set[str], creation_region: str = ""
    ) -> OrgEntry | None:
        """Check an organisation's description (JSON item or the organisation columns of a row)."""
        code = values.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 100:
            self.problem(where("code"), BAD_CODE, value=repr(code))
            return None
        if self.restrict_to is not None and code != self.restrict_to.code:
            self.problem(
                where("code"),
                _('you can only import the data of your organisation "%(mine)s", not "%(code)s"'),
                mine=self.restrict_to.code,
                code=code,
            )
            return None
        ok = True
        fields: dict[str, str] = {}
        name = values.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            self.problem(where("name"), _("expected a name (text of 1 to 300 characters)"))
            ok = False
        else:
            fields["name"] = name.strip()
        kind = values.get("kind")
        if kind not in ORG_KINDS:
            self.problem(
                where("kind"),
                _("unknown organisation kind %(value)s; known kinds: %(known)s"),
                value=repr(kind),
                known=", ".join(OrganisationKind.values),
            )
            ok = False
        else:
            fields["kind"] = kind
        if "region" in stated:
            region = values.get("region") or ""
            if not isinstance(region, str) or (region and region not in REGIONS):
                self.problem(
                    where("region"),
                    _("unknown region %(value)s; known regions: %(known)s"),
                    value=repr(region),
                    known=", ".join(REGIONS),
                )
                ok = False
            elif not region and kind in REGIONAL_KINDS:
                self.problem(where("region"), NEEDS_REGION, kind=kind)
                ok = False
            else:
                fields["region"] = region
        if "siren" in stated:
            siren = values.get("siren") or ""
            if not isinstance(siren, str) or (siren and not is_valid_siren(siren)):
                self.problem(
                    where("siren"),
                    _("%(value)s is not a valid SIREN (9 digits with a valid check digit)"),
                    value=repr(siren),
                )
                ok = False
            else:
                fields["siren"] = siren
        if not ok:
            return None
        entry = self.orgs.get(code)
        if entry is None:
            entry = OrgEntry(
                code=code,
                where=where("code"),
                fields=fields,
                stated=set(stated),
                creation_region=creation_region if creation_region in REGIONS else "",
            )
            self.orgs[code] = entry
            self.pending_orgs.append(entry)
            return entry
        # Seen before: rows of one organisation must agree.
        for key, value in fields.items():
            if key in entry.fields and entry.fields[key] != value:
                self.problem(
                    where(key),
                    _('"%(value)s" differs from "%(first)s" given for organisation "%(code)s" at %(where)s'),
                    value=value,
                    first=entry.fields[key],
                    code=code,
                    where=entry.where,
                )
                return None
            if key not in entry.fields:
                entry.fields[key] = value
                entry.stated.add(key)
                if entry.resolved:  # already written: write again with the new field
                    entry.resolved = False
                    self.pending_orgs.append(entry)
        return entry

    # --- subjects -----------------------------------------------------------------------

    def subject(
        self, where: Callable[[str], str], values: dict[str, Any], *, full: bool
    ) -> SubjectEntry | None:
        code = values.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 100:
            self.problem(where("code"), BAD_CODE, value=repr(code))
            return None
        assert self.context is not None
        ok = True
        kind = values.get("kind")
        fields: dict[str, str] = {}
        if kind not in SUBJECT_KINDS:
            self.problem(
                where("kind"),
                _("unknown subject kind %(value)s; known kinds: %(known)s"),
                value=repr(kind),
                known=", ".join(SubjectKind.values),
            )
            ok = False
        name = values.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            self.problem(where("name"), _("expected a name (text of 1 to 300 characters)"))
            ok = False
        else:
            fields["name"] = name.strip()
        org_code = values.get("organisation")
        if not isinstance(org_code, str) or not org_code:
            self.problem(where("organisation"), _("expected the code of an organisation"))
            ok = False
        type_code = values.get("type_or_category")
        type_key = values.get("type_key", "type_or_category")
        if kind in SUBJECT_KINDS:
            missing, unknown = (
                (
                    _("a service needs its service type"),
                    _('unknown service type "%(code)s"; known types: %(known)s'),
                )
                if kind == SubjectKind.SERVICE
                else (
                    _("a product needs its product category"),
                    _('unknown product category "%(code)s"; known categories: %(known)s'),
                )
            )
            if not isinstance(type_code, str) or not type_code:
                self.problem(where(type_key), missing)
                ok = False
            elif not self.context.knows_target(kind, type_code):
                known = _known(sorted(code for k, code in self.context.expectations if k == kind))
                self.problem(where(type_key), unknown, code=type_code, known=known)
                ok = False
        status = values.get("status") or SubjectStatus.ACTIVE
        if status not in SUBJECT_STATUSES:
            self.problem(
                where("status"),
                _("unknown status %(value)s; known statuses: %(known)s"),
                value=repr(status),
                known=", ".join(SubjectStatus.values),
            )
            ok = False
        else:
            fields["status"] = status
        region = values.get("region") or ""
        if kind == SubjectKind.SERVICE:
            if not isinstance(region, str) or region not in REGIONS:
                self.problem(
                    where("region"),
                    _(
                        "a service needs a region of the nomenclature, got %(value)s; "
                        "known regions: %(known)s"
                    ),
                    value=repr(region),
                    known=", ".join(REGIONS),
                )
                ok = False
            else:
                fields["region"] = region
        elif kind == SubjectKind.PRODUCT:
            fields["region"] = ""
        if full:
            for key, limit in (("version", 100), ("product_reference", 200), ("description", 10_000)):
                value = values.get(key) or ""
                if not isinstance(value, str) or len(value) > limit:
                    self.problem(where(key), TEXT_TOO_LONG, limit=limit)
                    ok = False
                else:
                    fields[key] = value
        if (
            kind in SUBJECT_KINDS
            and self.campaign is not None
            and self.campaign.scope != CampaignScope.BOTH
            and {CampaignScope.PRODUCTS: SubjectKind.PRODUCT, CampaignScope.SERVICES: SubjectKind.SERVICE}[
                self.campaign.scope  # type: ignore[index]
            ]
            != kind
        ):
            self.problem(
                where("kind"),
                _('campaign "%(code)s" assesses %(scope)s only'),
                code=self.campaign.code,
                scope=self.campaign.scope,
            )
            ok = False
        if not ok:
            return None
        entry = self.subjects.get(code)
        if entry is None:
            entry = SubjectEntry(
                code=code,
                where=where("code"),
                kind=kind,  # type: ignore[arg-type]
                type_or_category=type_code,  # type: ignore[arg-type]
                org_code=org_code,  # type: ignore[arg-type]
                fields=fields,
                ordinal=len(self.subjects),
            )
            self.subjects[code] = entry
            self.pending_subjects.append(entry)
            self.seen_pairs.extend(b"\x00" * max(len(self.axis_index), 1))
            return entry
        mine = {"kind": kind, "type_or_category": type_code, "organisation": org_code, **fields}
        theirs = {
            "kind": entry.kind,
            "type_or_category": entry.type_or_category,
            "organisation": entry.org_code,
        }
        theirs.update(entry.fields)
        for key, value in mine.items():
            if theirs.get(key) != value:
                column = type_key if key == "type_or_category" else key
                self.problem(
                    where(column),
                    _('"%(value)s" differs from "%(first)s" given for subject "%(code)s" at %(where)s'),
                    value=value,
                    first=theirs.get(key),
                    code=code,
                    where=entry.where,
                )
                return None
        return entry

    def subject_from_database(self, code: str, where: str) -> SubjectEntry | None:
        """JSON: an assessment may name a subject declared earlier, outside the file."""
        subject = (
            Subject.objects.filter(code=code)
            .values("id", "kind", "type_or_category", "organisation__code")
            .first()
        )
        if subject is None:
            self.problem(
                where, _('unknown subject "%(code)s"; declare it in "subjects" or import it first'), code=code
            )
            return None
        entry = SubjectEntry(
            code=code,
            where=where,
            kind=subject["kind"],
            type_or_category=subject["type_or_category"],
            org_code=subject["organisation__code"],
            fields={},
            ordinal=len(self.subjects),
            id=subject["id"],
            resolved=True,
        )
        self.subjects[code] = entry
        self.seen_pairs.extend(b"\x00" * max(len(self.axis_index), 1))
        return entry

    def assessment_status(self, entry: SubjectEntry, status: Any, where: str) -> bool:
        if status not in ASSESSMENT_STATUSES:
            self.problem(
                where,
                _("unknown assessment status %(value)s; known: %(known)s"),
                value=repr(status),
                known=", ".join(AssessmentStatus.values),
            )
            return False
        if self.restrict_to is not None and status not in (
            AssessmentStatus.DRAFT,
            AssessmentStatus.SUBMITTED,
        ):
            self.problem(
                where,
                _('only the agency may import an assessment as "%(status)s"; use draft or submitted'),
                status=status,
            )
            return False
        if entry.status_in_file is None:
            entry.status_in_file = status
        elif entry.status_in_file != status:
            self.problem(
                where,
                _('"%(status)s" differs from "%(first)s" given for subject "%(code)s"'),
                status=status,
                first=entry.status_in_file,
                code=entry.code,
            )
            return False
        return True

    # --- answers ------------------------------------------------------------------------

    def answer(
        self,
        entry: SubjectEntry,
        answer: AnswerInput,
        *,
        where: Callable[[str], str],
        milestone_mode: str = "exact",
    ) -> None:
        problems, checked = self.check_answer(entry.kind, entry.type_or_category, answer)
        self.add_answer(
            entry,
            problems,
            checked,
            reason=answer.not_applicable_reason.strip() if answer.not_applicable else "",
            comment=answer.comment,
            where=where,
            milestone_mode=milestone_mode,
        )

    def check_answer(
        self, kind: str, type_or_category: str, answer: AnswerInput
    ) -> tuple[list[tuple[str, Text]], CheckedAnswer | None]:
        """The answer's problems (field, message), or what is stored of it. A pure function of
        its arguments, so a reader may reuse the result for identical cells."""
        assert self.context is not None
        context = self.context

        def check() -> list[Problem]:
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
            texts: dict[str, list[Problem]] = {}
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
        milestones = [(int(m.level), cast(datetime.date, as_date(m.due_on))) for m in answer.milestones]  # type: ignore[arg-type]
        return [], CheckedAnswer(
            axis=answer.axis,
            axis_id=self.context.axes[answer.axis].id,
            level=answer.level,
            not_applicable=answer.not_applicable,
            milestones=tuple(sorted(milestones, key=lambda m: (m[1], m[0]))),
            blockers=frozenset(self.context.blocker_codes[code] for code in answer.blockers),
        )

    def add_answer(
        self,
        entry: SubjectEntry,
        problems: list[tuple[str, Text]],
        checked: CheckedAnswer | None,
        *,
        reason: str,
        comment: str,
        where: Callable[[str], str],
        milestone_mode: str,
    ) -> None:
        for location, message in problems:
            self.problem(where(location), message)
        if checked is None:
            return
        index = entry.ordinal * len(self.axis_index) + self.axis_index[checked.axis]
        if self.seen_pairs[index]:
            self.problem(
                where("axis"),
                _('a second answer on axis %(axis)s for subject "%(code)s"'),
                axis=checked.axis,
                code=entry.code,
            )
            return
        self.seen_pairs[index] = 1
        self.pending_answers.append(
            AnswerRecord(
                subject=entry,
                axis_id=checked.axis_id,
                level=checked.level,
                not_applicable=checked.not_applicable,
                reason=reason,
                comment=comment,
                milestones=checked.milestones,
                blockers=checked.blockers,
                where=where,
                milestone_mode=milestone_mode,
            )
        )
        if len(self.pending_answers) >= CHUNK:
            self.flush()

    # --- writing ------------------------------------------------------------------------

    def maybe_flush(self) -> None:
        if len(self.pending_subjects) >= CHUNK or len(self.pending_orgs) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write what is pending with a fixed number of queries. Runs even after a problem
        (the transaction is rolled back at the end) so that problems that need the database
        are found too."""
        self._flush_organisations()
        self._flush_subjects()
        self._flush_assessments()
        self._flush_answers()
        if self.progress is not None:
            self.progress(self.outcome.rows)

    def _flush_organisations(self) -> None:
        pending = [entry for entry in self.pending_orgs if not entry.resolved]
        self.pending_orgs = []
        if not pending:
            return
        counter = self.outcome.counts["organisations"]
        existing = {org.code: org for org in Organisation.objects.filter(code__in=[e.code for e in pending])}
        to_create, to_update = [], []
        for entry in pending:
            entry.resolved = True
            org = existing.get(entry.code)
            if self.restrict_to is not None:
                # A member's import never creates nor renames organisations.
                if org is None or org.pk != self.restrict_to.pk:
                    self.problem(entry.where, _('unknown organisation "%(code)s"'), code=entry.code)
                    continue
                if entry.fields.get("kind") != org.kind:
                    self.problem(
                        entry.where.replace("organisation", "organisation_kind"),
                        _('your organisation is "%(kind)s"'),
                        kind=org.kind,
                    )
                entry.id = org.pk
                counter["unchanged"] += 1
                continue
            if org is None:
                fields = dict(entry.fields)
                if "region" not in fields and fields.get("kind") in REGIONAL_KINDS:
                    fields["region"] = entry.creation_region
                if fields.get("kind") in REGIONAL_KINDS and not fields.get("region"):
                    self.problem(entry.where, NEEDS_REGION, kind=fields["kind"])
                    continue
                to_create.append(Organisation(code=entry.code, **fields))
                continue
            entry.id = org.pk
            changed = [key for key, value in entry.fields.items() if getattr(org, key) != value]
            if changed:
                for key in changed:
                    setattr(org, key, entry.fields[key])
                if org.kind in REGIONAL_KINDS and not org.region:
                    self.problem(entry.where, NEEDS_REGION, kind=org.kind)
                    continue
                org.updated_at = self.now
                to_update.append(org)
            else:
                counter["unchanged"] += 1
        if to_create:
            Organisation.objects.bulk_create(to_create, batch_size=BATCH)
            for org in to_create:
                self.orgs[org.code].id = org.pk
            counter["created"] += len(to_create)
        if to_update:
            Organisation.objects.bulk_update(
                to_update, ["name", "kind", "region", "siren", "updated_at"], batch_size=BATCH
            )
            counter["updated"] += len(to_update)

    def _org_id(self, code: str, where: str) -> int | None:
        entry = self.orgs.get(code)
        if entry is not None:
            return entry.id
        org = Organisation.objects.filter(code=code).values_list("id", flat=True).first()
        if org is None or (self.restrict_to is not None and org != self.restrict_to.pk):
            self.problem(
                where, _('unknown organisation "%(code)s"; declare it in "organisations"'), code=code
            )
            return None
        self.orgs[code] = OrgEntry(code=code, where=where, fields={}, stated=set(), id=org, resolved=True)
        return org

    def _flush_subjects(self) -> None:
        pending = [entry for entry in self.pending_subjects if not entry.resolved]
        self.pending_subjects = []
        if not pending:
            return
        counter = self.outcome.counts["subjects"]
        existing = {
            s.code: s for s in where_in(Subject.objects.all(), "code", [e.code for e in pending], "text")
        }
        to_create: list[dict[str, Any]] = []
        to_update: list[Subject] = []
        for entry in pending:
            entry.resolved = True
            org_id = self._org_id(entry.org_code, entry.where.replace(".code", ".organisation"))
            if org_id is None:
                entry.valid = False
                continue
            subject = existing.get(entry.code)
            values = {"kind": entry.kind, "type_or_category": entry.type_or_category, **entry.fields}
            if subject is None:
                to_create.append({"code": entry.code, "organisation": org_id, **values})
                continue
            if self.restrict_to is not None and subject.organisation_id != self.restrict_to.pk:
                self.problem(
                    entry.where,
                    _('the code "%(code)s" is already used by another organisation\'s subject'),
                    code=entry.code,
                )
                entry.valid = False
                continue
            entry.id = subject.pk
            changed = [key for key, value in values.items() if getattr(subject, key) != value]
            if subject.organisation_id != org_id:
                changed.append("organisation")
                subject.organisation_id = org_id
            if changed:
                for key in changed:
                    if key != "organisation":
                        setattr(subject, key, values[key])
                subject.updated_at = self.now
                to_update.append(subject)
                self.outcome.mark(entry.code, values.get("name", ""), "updated")
            else:
                counter["unchanged"] += 1
                self.outcome.mark(entry.code, values.get("name", ""), "unchanged")
        if to_create:
            fields: tuple[str, ...] = (
                "code",
                "organisation",
                "kind",
                "type_or_category",
                "name",
                "status",
                "region",
            )
            fields += tuple(sorted({key for new in to_create for key in new} - set(fields)))
            ids = insert_rows(
                Subject,
                fields,
                [tuple(new.get(key, "") for key in fields) for new in to_create],
                returning_ids=True,
            )
            if ids is None:
                codes = [new["code"] for new in to_create]
                for pk, code in Subject.objects.filter(code__in=codes).values_list("id", "code"):
                    self.subjects[code].id = pk
                    self.created_subjects.add(pk)
            else:
                for pk, new in zip(ids, to_create, strict=True):
                    self.subjects[new["code"]].id = pk
                    self.created_subjects.add(pk)
            for new in to_create:
                self.outcome.mark(new["code"], new["name"], "created")
            counter["created"] += len(to_create)
        if to_update:
            Subject.objects.bulk_update(
                to_update,
                [
                    "kind",
                    "name",
                    "organisation",
                    "type_or_category",
                    "status",
                    "region",
                    "version",
                    "product_reference",
                    "description",
                    "updated_at",
                ],
                batch_size=BATCH,
            )
            counter["updated"] += len(to_update)

    def _flush_assessments(self) -> None:
        assert self.campaign is not None or not self.pending_answers
        entries = {
            record.subject.code: record.subject
            for record in self.pending_answers
            if not record.subject.assessment_resolved and record.subject.valid
        }
        for entry in self.assessment_only:
            if not entry.assessment_resolved and entry.valid:
                entries[entry.code] = entry
        self.assessment_only = []
        if not entries:
            return
        counter = self.outcome.counts["assessments"]
        # A subject created by this import has no assessment yet: nothing to look up.
        ids = [
            entry.id
            for entry in entries.values()
            if entry.id is not None and entry.id not in self.created_subjects
        ]
        existing = (
            {
                a.subject_id: a
                for a in where_in(Assessment.objects.filter(campaign=self.campaign), "subject_id", ids)
            }
            if ids
            else {}
        )
        to_create, to_update = [], []
        for entry in entries.values():
            entry.assessment_resolved = True
            status = entry.status_in_file or AssessmentStatus.DRAFT
            assessment = existing.get(entry.id)  # type: ignore[arg-type]
            if assessment is None:
                to_create.append((entry, status))
                self.outcome.mark(entry.code, entry.fields.get("name", ""), "updated")
                continue
            entry.assessment_id = assessment.pk
            if self.restrict_to is not None and assessment.status not in EDITABLE_STATUSES:
                self.locked.add(assessment.pk)
            if assessment.status != status:
                if assessment.pk in self.locked:
                    self.problem(
                        entry.where,
                        _('the assessment of "%(code)s" is %(status)s and can no longer change'),
                        code=entry.code,
                        status=assessment.status,
                    )
                    continue
                assessment.status = status
                assessment.version += 1
                assessment.updated_at = self.now
                self.bumped.add(assessment.pk)
                to_update.append(assessment)
                self.outcome.mark(entry.code, entry.fields.get("name", ""), "updated")
            else:
                counter["unchanged"] += 1
        if to_create:
            new_ids = insert_rows(
                Assessment,
                ("campaign", "subject", "status"),
                [(self.campaign.pk, e.id, st) for e, st in to_create],  # type: ignore[union-attr]
                returning_ids=True,
            )
            if new_ids is None:
                created = dict(
                    Assessment.objects.filter(
                        campaign=self.campaign, subject_id__in=[entry.id for entry, _ in to_create]
                    ).values_list("subject_id", "id")
                )
                new_ids = [created[entry.id] for entry, _status in to_create]  # type: ignore[index]
            for (entry, _status), pk in zip(to_create, new_ids, strict=True):
                entry.assessment_id = pk
                self.bumped.add(pk)  # new: no version bump needed for later answers
                self.created_assessments.add(pk)
            counter["created"] += len(to_create)
        if to_update:
            Assessment.objects.bulk_update(to_update, ["status", "version", "updated_at"], batch_size=BATCH)
            counter["updated"] += len(to_update)

    def _flush_answers(self) -> None:
        records = [r for r in self.pending_answers if r.subject.valid and r.subject.assessment_id is not None]
        self.pending_answers = []
        if not records:
            return
        counter = self.outcome.counts["answers"]
        assessment_ids = list(
            {cast(int, r.subject.assessment_id) for r in records} - self.created_assessments
        )
        existing: dict[tuple[int, int], dict[str, Any]] = {}
        rows = cast(
            Iterable[dict[str, Any]],
            Answer.objects.none().values()
            if not assessment_ids
            else where_in(Answer.objects.all(), "assessment_id", assessment_ids).values(
                "id",
                "assessment_id",
                "axis_id",
                "level",
                "not_applicable",
                "not_applicable_reason",
                "comment",
            ),
        )
        for row in rows:
            row["milestones"] = []
            row["blockers"] = set()
            existing[(row["assessment_id"], row["axis_id"])] = row
        by_id = {row["id"]: row for row in existing.values()}
        if by_id:
            # PostgreSQL: by the answers' ids (no join back to the answers); elsewhere by
            # assessment (an IN list of every answer id could pass SQLite's parameter limit).
            if connection.vendor == "postgresql":
                milestones = where_in(Milestone.objects.all(), "answer_id", list(by_id))
                blockers = where_in(AnswerBlocker.objects.all(), "answer_id", list(by_id))
            else:
                milestones = Milestone.objects.filter(answer__assessment_id__in=assessment_ids)
                blockers = AnswerBlocker.objects.filter(answer__assessment_id__in=assessment_ids)
            for answer_id, level, due_on in milestones.order_by("due_on", "level").values_list(
                "answer_id", "level", "due_on"
            ):
                by_id[answer_id]["milestones"].append((level, due_on))
            for answer_id, category_id in blockers.values_list("answer_id", "category_id"):
                by_id[answer_id]["blockers"].add(category_id)
        new_answers: list[AnswerRecord] = []
        updated: list[Answer] = []
        touch_only: list[int] = []
        replace_milestones: dict[int, AnswerRecord] = {}
        replace_blockers: dict[int, AnswerRecord] = {}
        touched: set[int] = set()
        for record in records:
            assessment_id = record.subject.assessment_id
            found = existing.get((assessment_id, record.axis_id))  # type: ignore[arg-type]
            if found is None:
                new_answers.append(record)
                touched.add(assessment_id)  # type: ignore[arg-type]
                self.outcome.mark(record.subject.code, record.subject.fields.get("name", ""), "updated")
                continue
            scalar_changed = (
                found["level"] != record.level
                or found["not_applicable"] != record.not_applicable
                or found["not_applicable_reason"] != record.reason
                or found["comment"] != record.comment
            )
            current = tuple(found["milestones"])
            if record.milestone_mode == "first":
                milestones_changed = (
                    (current[:1] != record.milestones) if record.milestones else bool(current)
                )
            else:
                milestones_changed = current != record.milestones
            blockers_changed = found["blockers"] != record.blockers
            if not (scalar_changed or milestones_changed or blockers_changed):
                counter["unchanged"] += 1
                continue
            if assessment_id in self.locked:
                self.problem(
                    record.where(""),
                    _("the assessment is submitted or validated and can no longer change"),
                )
                continue
            if scalar_changed:
                updated.append(
                    Answer(
                        pk=found["id"],
                        level=record.level,
                        not_applicable=record.not_applicable,
                        not_applicable_reason=record.reason,
                        comment=record.comment,
                        needs_recheck=False,
                        updated_at=self.now,
                    )
                )
            if milestones_changed:
                replace_milestones[found["id"]] = record
            if blockers_changed:
                replace_blockers[found["id"]] = record
            if not scalar_changed:
                touch_only.append(found["id"])
            touched.add(assessment_id)  # type: ignore[arg-type]
            self.outcome.mark(record.subject.code, record.subject.fields.get("name", ""), "updated")
            counter["updated"] += 1
        if new_answers:
            for record, answer_id in zip(new_answers, self._insert_answers(new_answers), strict=True):
                replace_milestones[answer_id] = record
                replace_blockers[answer_id] = record
            counter["created"] += len(new_answers)
        if updated:
            Answer.objects.bulk_update(
                updated,
                [
                    "level",
                    "not_applicable",
                    "not_applicable_reason",
                    "comment",
                    "needs_recheck",
                    "updated_at",
                ],
                batch_size=BATCH,
            )
        if touch_only:  # only the milestones or blockers changed
            Answer.objects.filter(pk__in=touch_only).update(updated_at=self.now)
        existing_ids = set(by_id)
        stale_milestones = [pk for pk in replace_milestones if pk in existing_ids]
        if stale_milestones:
            Milestone.objects.filter(answer_id__in=stale_milestones).delete()
        adapt_date = connection.ops.adapt_datefield_value
        insert_rows(
            Milestone,
            ("answer", "level", "due_on"),
            [
                (pk, level, adapt_date(due_on))
                for pk, record in replace_milestones.items()
                for level, due_on in record.milestones
            ],
        )
        stale_blockers = [pk for pk in replace_blockers if pk in existing_ids]
        if stale_blockers:
            AnswerBlocker.objects.filter(answer_id__in=stale_blockers).delete()
        insert_rows(
            AnswerBlocker,
            ("answer", "category"),
            [(pk, category_id) for pk, record in replace_blockers.items() for category_id in record.blockers],
        )
        # Optimistic concurrency: an assessment changed by the import gets a new version, once.
        bump = touched - self.bumped
        if bump:
            Assessment.objects.filter(pk__in=bump).update(version=F("version") + 1, updated_at=self.now)
            self.bumped |= bump

    def _insert_answers(self, records: list[AnswerRecord]) -> list[int]:
        """Insert new answers; return their ids in the same order (PostgreSQL: reserved before
        the COPY; elsewhere one SELECT for all, a multi-row INSERT not returning ids everywhere)."""
        now = connection.ops.adapt_datetimefield_value(self.now)
        new_ids = insert_rows(
            Answer,
            (
                "assessment",
                "axis",
                "level",
                "not_applicable",
                "not_applicable_reason",
                "comment",
                "needs_recheck",
                "updated_at",
            ),
            [
                (
                    r.subject.assessment_id,
                    r.axis_id,
                    r.level,
                    r.not_applicable,
                    r.reason,
                    r.comment,
                    False,
                    now,
                )
                for r in records
            ],
            returning_ids=True,
        )
        if new_ids is not None:
            return new_ids
        assessment_ids = {cast(int, r.subject.assessment_id) for r in records}
        ids: dict[tuple[int | None, int], int] = {
            (assessment_id, axis_id): pk
            for pk, assessment_id, axis_id in Answer.objects.filter(
                assessment_id__in=assessment_ids
            ).values_list("id", "assessment_id", "axis_id")
        }
        return [ids[(r.subject.assessment_id, r.axis_id)] for r in records]


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: list[tuple], *, returning_ids: bool = False
) -> list[int] | None:
    """INSERT many rows (COPY on PostgreSQL, executemany elsewhere), bypassing model instances.

    With `returning_ids` on PostgreSQL, returns the new rows' ids in the order of `rows`: they
    are taken from the table's sequence first (one query) and written by the COPY, so the caller
    needs no query to read them back. Otherwise returns None: the caller reads them back by
    their natural key if it needs them.

    The ORM's bulk_create builds a model instance and compiles every value of every row: it
    was most of the time of a first import. Values must already be adapted for the database
    (dates through `connection.ops`). No signal is sent: no per-row history (see module doc).
    """
    if not rows:
        return [] if returning_ids and connection.vendor == "postgresql" else None
    meta = model._meta
    quote = connection.ops.quote_name
    # Every other column gets what the ORM would give it: its default, or now for auto_now.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    given = {cast(Field, meta.get_field(name)).attname for name in fields}
    others = [field for field in meta.concrete_fields if not field.primary_key and field.attname not in given]
    defaults = tuple(
        now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_db_prep_save(field.get_default(), connection)
        for field in others
    )
    if defaults:
        fields = [*fields, *(field.name for field in others)]
        rows = [row + defaults for row in rows]
    columns = ", ".join(quote(cast(str, cast(Field, meta.get_field(name)).column)) for name in fields)
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # One prepared statement run for every row (SQLite's executemany loops in C).
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
            return None
        ids: list[int] | None = None
        if returning_ids:
            pk = cast(Field, meta.pk)
            # nextval() per row, as the column's default would do: ids other sessions take
            # meanwhile are simply skipped. The id is an identity column BY DEFAULT: COPY may set it.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = f"{quote(pk.column or pk.attname)}, {columns}"
            rows = [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)]
        # COPY streams the rows: no SQL text to build nor parse, the fastest bulk path.
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        return ids


__all__ = ["DatasetImporter", "ImportOutcome", "MilestoneInput", "TooManyProblems"]
