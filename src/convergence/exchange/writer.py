"""The bulk writer: the entries the checks accepted → SQL, a fixed number of queries per batch.

Every `CHUNK` answers the orchestrator asks for a `flush`: the stored rows of the batch are read
with one query per table, handed to the checks' `resolve_*` rules (an update, a member's frozen
assessment), and the batch is written: new rows without model instances (`insert_rows`: COPY on
PostgreSQL, `executemany` on SQLite), changed rows by `bulk_update`. Never a query per row, never
a service call per row. The caller runs it inside one transaction and rolls it back when a
problem was found or for a preview: all or nothing.

Per-row history (django-simple-history) is deliberately not written by bulk operations: a
national import would double its writes. The import itself is recorded once (`ImportRun`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from convergence.assessments.enums import AssessmentStatus
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.lib.db import insert_rows, where_in
from convergence.organisations.models import Organisation
from convergence.organisations.selectors import existing_organisation_slots
from convergence.referential.models import Referential

from .checks import DatasetChecks, ImportOutcome, OrgEntry, PendingAnswer, StoredOrganisation, SubjectEntry

CHUNK = 20_000  # answers held before a write; memory stays small (one short record each)
BATCH = 2000


class StoredRows:
    """What the checks need to know of the database: the organisations (all of them, one
    query: a national import names thousands, the table holds a few thousand), the competing
    organisations' slots, and a subject named by a JSON assessment outside the file."""

    def __init__(self) -> None:
        self.organisations = {
            row[1]: StoredOrganisation(*row)
            for row in Organisation.objects.values_list("id", "code", "name", "kind", "region", "siren")
        }

    def organisation(self, code: str) -> StoredOrganisation | None:
        return self.organisations.get(code)

    def organisation_slots(self) -> set[tuple[str, str]]:
        return existing_organisation_slots()

    def subject(self, code: str) -> dict[str, Any] | None:
        return cast(
            dict[str, Any] | None,
            Subject.objects.filter(code=code)
            .values("id", "kind", "type_or_category", "organisation__code", "organisation_id")
            .first(),
        )

    def referential(self, code: str) -> Referential | None:
        return Referential.objects.filter(code=code).first()

    def referential_codes(self) -> list[str]:
        return list(Referential.objects.order_by("code").values_list("code", flat=True))

    def campaign(self, code: str) -> Campaign | None:
        return Campaign.objects.select_related("referential").filter(code=code).first()


class BulkWriter:
    def __init__(self, checks: DatasetChecks, stored: StoredRows, outcome: ImportOutcome):
        self.checks = checks
        self.stored = stored
        self.outcome = outcome
        self.bumped: set[int] = set()
        # Rows inserted by this import: they have nothing stored under them yet, so a first
        # import reads nothing back.
        self.created_assessments: set[int] = set()
        self.created_subjects: set[int] = set()
        self.now = timezone.now()

    # --- the campaign (JSON) ----------------------------------------------------------------

    def campaign_save(self, code: str, referential: Referential, values: dict[str, Any]) -> Campaign | None:
        campaign = self.stored.campaign(code)
        counter = self.outcome.counts["campaigns"]
        if campaign is None:
            counter["created"] += 1
            return Campaign.objects.create(code=code, referential=referential, **values)
        if campaign.referential_id != referential.pk:
            return campaign
        changed = {key: value for key, value in values.items() if getattr(campaign, key) != value}
        if changed:
            for key, value in changed.items():
                setattr(campaign, key, value)
            campaign.save()
            counter["updated"] += 1
        else:
            counter["unchanged"] += 1
        return campaign

    # --- batches ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what is pending. Runs even after a problem (the transaction is rolled back at
        the end) so that the problems that need the stored rows are found too."""
        self._organisations()
        self._subjects()
        self._assessments()
        self._answers()

    def _organisations(self) -> None:
        checks = self.checks
        pending = [entry for entry in checks.pending_orgs if not entry.resolved]
        checks.pending_orgs = []
        if not pending:
            return
        counter = self.outcome.counts["organisations"]
        to_create: list[Organisation] = []
        to_update: list[Organisation] = []
        for entry in pending:
            entry.resolved = True
            stored = self.stored.organisation(entry.code)
            fields = checks.resolve_organisation(entry, stored)
            if fields is None:
                continue
            if stored is None:
                to_create.append(Organisation(code=entry.code, **fields))
                continue
            entry.id = stored.id
            if not fields:
                counter["unchanged"] += 1
                continue
            organisation = Organisation(
                pk=stored.id,
                code=stored.code,
                name=fields.get("name", stored.name),
                kind=fields.get("kind", stored.kind),
                region=fields.get("region", stored.region),
                siren=fields.get("siren", stored.siren),
                updated_at=self.now,
            )
            to_update.append(organisation)
            self._remember(organisation)
        if to_create:
            Organisation.objects.bulk_create(to_create, batch_size=BATCH)
            for organisation in to_create:
                checks.orgs[organisation.code].id = organisation.pk
                self._remember(organisation)
            counter["created"] += len(to_create)
        if to_update:
            Organisation.objects.bulk_update(
                to_update, ["name", "kind", "region", "siren", "updated_at"], batch_size=BATCH
            )
            counter["updated"] += len(to_update)

    def _remember(self, organisation: Organisation) -> None:
        self.stored.organisations[organisation.code] = StoredOrganisation(
            organisation.pk,
            organisation.code,
            organisation.name,
            organisation.kind,
            organisation.region,
            organisation.siren,
        )

    def _org_id(self, code: str) -> int | None:
        entry = self.checks.orgs.get(code)
        if entry is not None:
            return entry.id
        stored = self.stored.organisation(code)
        return None if stored is None else stored.id

    def _subjects(self) -> None:
        checks = self.checks
        pending = [entry for entry in checks.pending_subjects if not entry.resolved]
        checks.pending_subjects = []
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
            org_id = self._org_id(entry.org_code)
            if org_id is None:  # its organisation was refused
                entry.valid = False
                continue
            subject = existing.get(entry.code)
            values = {"kind": entry.kind, "type_or_category": entry.type_or_category, **entry.fields}
            changed = checks.resolve_subject(entry, subject, org_id)
            if changed is None:
                entry.valid = False
                continue
            if subject is None:
                to_create.append({"code": entry.code, "organisation": org_id, **values})
                continue
            entry.id = subject.pk
            if changed:
                for key in changed:
                    if key == "organisation":
                        subject.organisation_id = org_id
                    else:
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
                    checks.subjects[code].id = pk
                    self.created_subjects.add(pk)
            else:
                for pk, new in zip(ids, to_create, strict=True):
                    checks.subjects[new["code"]].id = pk
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

    def _assessments(self) -> None:
        checks = self.checks
        campaign = checks.campaign
        entries = {
            record.subject.code: record.subject
            for record in checks.pending_answers
            if not record.subject.assessment_resolved and record.subject.valid
        }
        for entry in checks.assessment_only:
            if not entry.assessment_resolved and entry.valid:
                entries[entry.code] = entry
        checks.assessment_only = []
        if not entries:
            return
        counter = self.outcome.counts["assessments"]
        # A subject created by this import has no assessment yet: nothing to look up.
        ids = [e.id for e in entries.values() if e.id is not None and e.id not in self.created_subjects]
        existing = (
            {
                a.subject_id: a
                for a in where_in(Assessment.objects.filter(campaign=campaign), "subject_id", ids)
            }
            if ids
            else {}
        )
        to_create: list[tuple[SubjectEntry, str]] = []
        to_update: list[Assessment] = []
        for entry in entries.values():
            entry.assessment_resolved = True
            status = entry.status_in_file or AssessmentStatus.DRAFT
            assessment = existing.get(cast(int, entry.id))
            if assessment is None:
                to_create.append((entry, status))
                self.outcome.mark(entry.code, entry.fields.get("name", ""), "updated")
                continue
            entry.assessment_id = assessment.pk
            if not checks.resolve_assessment(entry, assessment.pk, assessment.status):
                continue
            if assessment.status != status:
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
                [(campaign.pk, e.id, st) for e, st in to_create],
                returning_ids=True,
            )
            if new_ids is None:
                created = dict(
                    Assessment.objects.filter(
                        campaign=campaign, subject_id__in=[entry.id for entry, _status in to_create]
                    ).values_list("subject_id", "id")
                )
                new_ids = [created[cast(int, entry.id)] for entry, _status in to_create]
            for (entry, _status), pk in zip(to_create, new_ids, strict=True):
                entry.assessment_id = pk
                self.bumped.add(pk)  # new: no version bump needed for later answers
                self.created_assessments.add(pk)
            counter["created"] += len(to_create)
        if to_update:
            Assessment.objects.bulk_update(to_update, ["status", "version", "updated_at"], batch_size=BATCH)
            counter["updated"] += len(to_update)

    def _answers(self) -> None:
        checks = self.checks
        records = [
            r for r in checks.pending_answers if r.subject.valid and r.subject.assessment_id is not None
        ]
        checks.pending_answers = []
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
        # The stored answers count for the submission rule (checks.submissions).
        subjects = {cast(int, r.subject.assessment_id): r.subject for r in records}
        first_read = {pk: subjects[pk] for pk in assessment_ids if not subjects[pk].stored_read}
        for entry in first_read.values():
            entry.stored_read = True
        for row in rows:
            row["milestones"] = []
            row["blockers"] = set()
            existing[(row["assessment_id"], row["axis_id"])] = row
            if (row["level"] is not None or row["not_applicable"]) and row["assessment_id"] in first_read:
                checks.stored_answer(first_read[row["assessment_id"]], row["axis_id"])
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
        new_answers: list[PendingAnswer] = []
        updated: list[Answer] = []
        touch_only: list[int] = []
        replace_milestones: dict[int, PendingAnswer] = {}
        replace_blockers: dict[int, PendingAnswer] = {}
        touched: set[int] = set()
        mark = self.outcome.mark
        for record in records:
            assessment_id = cast(int, record.subject.assessment_id)
            found = existing.get((assessment_id, record.axis_id))
            if found is None:
                new_answers.append(record)
                touched.add(assessment_id)
                mark(record.subject.code, record.subject.fields.get("name", ""), "updated")
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
            if not checks.resolve_answer_change(record):
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
            touched.add(assessment_id)
            mark(record.subject.code, record.subject.fields.get("name", ""), "updated")
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

    def _insert_answers(self, records: list[PendingAnswer]) -> list[int]:
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

    def read_stored_answers(self, entries: list[SubjectEntry]) -> None:
        """Give the checks the stored answered axes of these assessments that were not read while
        writing (one query; none for the assessments this import created)."""
        unread = {
            cast(int, entry.assessment_id): entry
            for entry in entries
            if not entry.stored_read and entry.assessment_id not in self.created_assessments
        }
        if not unread:
            return
        for assessment_id, axis_id in (
            where_in(Answer.objects.all(), "assessment_id", list(unread))
            .filter(Q(level__isnull=False) | Q(not_applicable=True))
            .values_list("assessment_id", "axis_id")
        ):
            self.checks.stored_answer(unread[assessment_id], axis_id)
        for entry in unread.values():
            entry.stored_read = True


__all__ = ["CHUNK", "BulkWriter", "OrgEntry", "StoredRows"]
