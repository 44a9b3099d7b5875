"""Synthetic campaign data for the report benchmark, written with fast bulk inserts.

`generate(n_subjects)` creates (once) a referential "bench-ref" of 12 axes and 40 service types in
6 families, and a campaign "bench-<n>" with n regional services, each answering the 12 axes, with
milestones and blockers in realistic shares. Rows are written with executemany (SQLite) or COPY
(PostgreSQL), bypassing the ORM: 1.2 million answers load in tens of seconds.
"""

from __future__ import annotations

import datetime
import random
import time

from django.db import connection, models, transaction
from django.utils import timezone

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.lib.regions import REGIONS
from convergence.organisations.models import Organisation
from convergence.referential import models as ref

AXES = [
    "INS",
    "ANNUAIRE",
    "PSC",
    "ROR",
    "DMP",
    "MSS",
    "EPRESC",
    "EPARCOURS",
    "INTEROP",
    "SECU",
    "ETHIQUE",
    "URBA",
]
FAMILIES = 6
TYPES = 40
BLOCKERS = ["calendrier-national", "visibilite", "migration", "financement", "editeur"]
STATUSES = ["active"] * 90 + ["deploying"] * 6 + ["technical"] * 3 + ["retired"]
ASSESSMENT_STATUSES = ["validated"] * 60 + ["submitted"] * 30 + ["draft"] * 7 + ["returned"] * 3


def referential() -> ref.Referential:
    existing = ref.Referential.objects.filter(code="bench-ref").first()
    if existing:
        return existing
    rng = random.Random(1)
    with transaction.atomic():
        r = ref.Referential.objects.create(
            code="bench-ref",
            title="Benchmark referential",
            status="published",
            published_on=datetime.date(2020, 1, 1),
        )
        ref.ScaleLevel.objects.bulk_create(
            [ref.ScaleLevel(referential=r, value=v, label=str(v)) for v in range(4)]
        )
        axes = ref.Axis.objects.bulk_create(
            [
                ref.Axis(referential=r, code=code, name=f"Axe {code}", position=i)
                for i, code in enumerate(AXES)
            ]
        )
        ref.BlockerCategory.objects.bulk_create(
            [ref.BlockerCategory(referential=r, code=c, name=c, position=i) for i, c in enumerate(BLOCKERS)]
        )
        families = ref.ServiceFamily.objects.bulk_create(
            [
                ref.ServiceFamily(referential=r, code=f"family-{i}", name=f"Famille {i}", position=i)
                for i in range(FAMILIES)
            ]
        )
        types = ref.ServiceType.objects.bulk_create(
            [
                ref.ServiceType(
                    referential=r,
                    family=families[i % FAMILIES],
                    code=f"type-{i}",
                    name=f"Type {i}",
                    common_core=i < 36,
                    position=i,
                )
                for i in range(TYPES)
            ]
        )
        # Every axis applies to every type; most have an expected level (2 or 3), some none.
        ref.Expectation.objects.bulk_create(
            [
                ref.Expectation(
                    referential=r, axis=axis, service_type=t, expected_level=rng.choice([2, 2, 3, 3, 1, None])
                )
                for t in types
                for axis in axes
            ]
        )
    return r


def _columns(model) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _bulk_insert(model, rows: list[dict]) -> None:
    """Insert rows (dicts by field attname, explicit ids) as fast as the database allows; fields
    not given take their model default, so the generator survives new columns with defaults."""
    if not rows:
        return
    fields = _columns(model)
    now = timezone.now()
    defaults = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = (
                "" if (not f.null and isinstance(f, models.CharField | models.TextField)) else None
            )
    names = [f.attname for f in fields]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row([row.get(n, defaults[n]) for n in names])
        else:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({columns}) VALUES ({placeholders})"
            values = [[row.get(n, defaults[n]) for n in names] for row in rows]
            cursor.executemany(sql, values)


def _next_id(model) -> int:
    return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1


def generate(n_subjects: int, *, seed: int = 42) -> Campaign:
    code = f"bench-{n_subjects}"
    existing = Campaign.objects.filter(code=code).first()
    if existing:
        return existing
    r = referential()
    rng = random.Random(seed)
    started = time.perf_counter()
    axes = list(ref.Axis.objects.filter(referential=r).order_by("position").values_list("id", flat=True))
    types = [f"type-{i}" for i in range(TYPES)]
    blocker_ids = list(ref.BlockerCategory.objects.filter(referential=r).values_list("id", flat=True))
    expected = {
        (t, a): lv
        for t, a, lv in ref.Expectation.objects.filter(referential=r).values_list(
            "service_type__code", "axis_id", "expected_level"
        )
    }
    regions = list(REGIONS)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            code=code,
            title=f"Benchmark {n_subjects}",
            referential=r,
            scope="services",
            opens_on=datetime.date(2020, 9, 1),
            closes_on=datetime.date(2020, 12, 15),
            status="closed",
        )
        org_id, subject_id = _next_id(Organisation), _next_id(Subject)
        assessment_id, answer_id, milestone_id, blocker_id = (
            _next_id(Assessment),
            _next_id(Answer),
            _next_id(Milestone),
            _next_id(AnswerBlocker),
        )
        n_orgs = max(1, n_subjects // 50)
        orgs = [
            {
                "id": org_id + i,
                "code": f"{code}-org-{i}",
                "name": f"Org {i}",
                "kind": "grades",
                "region": regions[i % len(regions)],
                "siren": "",
            }
            for i in range(n_orgs)
        ]
        subjects, assessments, answers, milestones, blockers = [], [], [], [], []
        for i in range(n_subjects):
            org = orgs[i % n_orgs]
            type_code = types[rng.randrange(TYPES)]
            sid, aid = subject_id + i, assessment_id + i
            subjects.append(
                {
                    "id": sid,
                    "code": f"{code}-s{i}",
                    "kind": "service",
                    "name": f"Service {i}",
                    "organisation_id": org["id"],
                    "type_or_category": type_code,
                    "status": rng.choice(STATUSES),
                    "region": org["region"],
                }
            )
            assessments.append(
                {
                    "id": aid,
                    "campaign_id": campaign.pk,
                    "subject_id": sid,
                    "status": rng.choice(ASSESSMENT_STATUSES),
                }
            )
            for axis_id in axes:
                ans_id = answer_id
                answer_id += 1
                if rng.random() < 0.04:
                    answers.append(
                        {
                            "id": ans_id,
                            "assessment_id": aid,
                            "axis_id": axis_id,
                            "level": None,
                            "not_applicable": True,
                            "not_applicable_reason": "n/a",
                        }
                    )
                else:
                    level = rng.choices([0, 1, 2, 3], weights=[5, 15, 40, 40])[0]
                    answers.append(
                        {
                            "id": ans_id,
                            "assessment_id": aid,
                            "axis_id": axis_id,
                            "level": level,
                            "not_applicable": False,
                        }
                    )
                    target = expected.get((type_code, axis_id))
                    # Most subjects below their expected level plan to reach it, in one or two steps.
                    if level < 3 and rng.random() < (0.8 if target is not None and level < target else 0.15):
                        year = rng.choice([2020, 2021, 2021, 2022, 2023])
                        for step_level in range(level + 1, 4):
                            milestones.append(
                                {
                                    "id": milestone_id,
                                    "answer_id": ans_id,
                                    "level": step_level,
                                    "due_on": datetime.date(year, rng.choice([6, 12]), 30),
                                }
                            )
                            milestone_id += 1
                            year += 1
                            if rng.random() < 0.5:
                                break
                if rng.random() < 0.05:
                    blockers.append(
                        {"id": blocker_id, "answer_id": ans_id, "category_id": rng.choice(blocker_ids)}
                    )
                    blocker_id += 1
        for model, rows in [
            (Organisation, orgs),
            (Subject, subjects),
            (Assessment, assessments),
            (Answer, answers),
            (Milestone, milestones),
            (AnswerBlocker, blockers),
        ]:
            _bulk_insert(model, rows)
        if connection.vendor == "postgresql":
            from django.core.management.color import no_style

            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Organisation, Subject, Assessment, Answer, Milestone, AnswerBlocker]
                ):
                    cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  generated {n_subjects} subjects, {len(answers)} answers, {len(milestones)} milestones, "
        f"{len(blockers)} blockers in {time.perf_counter() - started:.1f} s"
    )
    return campaign
