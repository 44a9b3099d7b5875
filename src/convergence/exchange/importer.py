"""The dataset import, in stages: read → check → write (the caller holds the transaction).

- `readers.py`: the parsed file → typed records carrying their location (no database);
- `checks.py`: records → problems and accepted entries, by the domain's rule functions plus the
  identity of records across the file;
- `writer.py`: the accepted entries → SQL in batches of `CHUNK` answers (COPY / executemany);
- this module: runs them, record after record, and the whole-import rules at the end.

Memory stays small: one short entry per organisation and subject, a byte per (subject, axis)
pair, and at most `CHUNK` answers waiting for their batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from django.utils.translation import gettext_lazy as _

from convergence.organisations.models import Organisation

from .checks import DatasetChecks, ImportOutcome, TooManyProblems
from .formats import Row
from .readers import read_document, read_rows
from .records import (
    AssessmentRecord,
    CampaignRecord,
    JsonWhere,
    OrganisationRecord,
    ReadProblem,
    Record,
    RowRecord,
    SubjectRecord,
)
from .writer import CHUNK, BulkWriter, StoredRows

PROGRESS_EVERY = 1000  # rows between two progress reports of a web import


class DatasetImporter:
    """One import. `organisation` restricts it to that organisation's data (web import by a
    member); None means the command line or the agency: any organisation."""

    def __init__(
        self, *, organisation: Organisation | None = None, progress: Callable[[int], None] | None = None
    ):
        self.progress = progress
        self.outcome = ImportOutcome()
        self.stored = StoredRows()
        self.checks = DatasetChecks(stored=self.stored, organisation=organisation, outcome=self.outcome)
        self.writer = BulkWriter(self.checks, self.stored, self.outcome)

    @property
    def failed(self) -> bool:
        return self.checks.failed

    def _read_problem(self, problem: ReadProblem) -> None:
        self.checks.report(problem.where, problem.message, problem.params)

    def _maybe_flush(self) -> None:
        checks = self.checks
        if (
            len(checks.pending_answers) >= CHUNK
            or len(checks.pending_subjects) >= CHUNK
            or len(checks.pending_orgs) >= CHUNK
        ):
            self.flush()

    def flush(self) -> None:
        self.writer.flush()
        if self.progress is not None:
            self.progress(self.outcome.rows)

    # --- JSON -------------------------------------------------------------------------------

    def import_document(self, data: object) -> None:
        records: Iterator[Record] = read_document(data)
        checks = self.checks
        for record in records:
            if isinstance(record, ReadProblem):
                self._read_problem(record)
            elif isinstance(record, CampaignRecord):
                if not self._json_campaign(record):
                    return
            elif isinstance(record, OrganisationRecord):
                checks.organisation(record, record.where or JsonWhere(""))
            elif isinstance(record, SubjectRecord):
                checks.subject(record, record.where or JsonWhere(""))
                self._maybe_flush()
            elif isinstance(record, AssessmentRecord):
                self._json_assessment(record)
                self._maybe_flush()

    def _json_campaign(self, record: CampaignRecord) -> bool:
        checks = self.checks
        found = checks.campaign_values(record.values)
        referential = None
        if not isinstance(record.referential, str):
            checks.report("referential", _("expected the code of a loaded referential"))
        else:
            referential = self.stored.referential(record.referential)
            if referential is None:
                known = ", ".join(self.stored.referential_codes()) or _("none")
                checks.report(
                    "referential",
                    _(
                        'unknown referential "%(code)s"; load it first (convergence import_referential); '
                        "known: %(known)s"
                    ),
                    {"code": record.referential, "known": known},
                )
        if found is None or checks.failed or referential is None:
            return False
        code, values = found
        stored = self.stored.campaign(code)
        if stored is not None and stored.referential_id != referential.pk:
            checks.report(
                "referential",
                _('campaign "%(code)s" uses referential "%(used)s", not "%(given)s"'),
                {"code": code, "used": stored.referential.code, "given": referential.code},
            )
            return False
        campaign = self.writer.campaign_save(code, referential, values)
        checks.use_campaign(campaign)
        return True

    def _json_assessment(self, record: AssessmentRecord) -> None:
        checks = self.checks
        where = record.where
        entry = checks.stored_subject(record.subject, where("subject"))
        if entry is None:
            return
        status_where = JsonWhere(where.prefix, {"assessment": "status"})
        if not checks.assessment_status(entry, record.status, status_where):
            return
        if not record.answers_readable:
            for problem in record.answers:
                self._read_problem(problem)  # type: ignore[arg-type]
            return
        if not record.listed_answers:
            checks.assessment_only.append(entry)
        for answer in record.answers:
            if isinstance(answer, ReadProblem):
                self._read_problem(answer)
            else:
                checks.answer(entry, answer)

    # --- flat rows --------------------------------------------------------------------------

    def import_rows(self, rows: Iterable[Row]) -> None:
        checks = self.checks
        outcome = self.outcome
        progress = self.progress
        find_campaign = self.stored.campaign
        for record in read_rows(rows):
            outcome.rows += 1
            if progress is not None and outcome.rows % PROGRESS_EVERY == 0:
                progress(outcome.rows)
            if isinstance(record, ReadProblem):
                self._read_problem(record)
                continue
            self._row(record, checks, find_campaign)

    def _row(self, record: RowRecord, checks: DatasetChecks, find_campaign: Callable) -> None:
        number = record.row
        if not checks.row_campaign(record.campaign, number, find_campaign):
            return
        organisation = checks.row_organisation(record.organisation, number)
        if organisation is None:
            return  # the row's subject would only repeat the organisation's problem
        subject = checks.row_subject(record.subject, record.assessment_status, number)
        if subject is None:
            return
        checks.answer(subject, record)
        if len(checks.pending_answers) >= CHUNK or len(checks.pending_subjects) >= CHUNK:
            self.flush()

    # --- the end ----------------------------------------------------------------------------

    def finish(self) -> None:
        """The last batch, then the rules on whole assessments (every row of one is read)."""
        if self.checks.campaign is None:
            if not self.checks.failed:
                self.checks.report("file", _("no data row"))
            return
        self.flush()
        self.checks.submissions(self.writer.read_stored_answers)


__all__ = ["DatasetImporter", "ImportOutcome", "TooManyProblems"]
