"""Property tests: for any small dataset, the engine's figures equal a per-subject reading of the
contract's definitions (written independently below, one subject at a time), and obey the
invariants that readers rely on."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergence.analytics.engine import ReportParams, report_compute
from tests import factories as f

from .dataset import answer, build_referential

pytestmark = pytest.mark.django_db

EXPECTED = {"T1": {"A1": 2, "A2": None}, "T2": {"A1": 3, "A3": 1}, "T3": {"A1": 2}}
COMMON_CORE = {"T1", "T2"}


@st.composite
def answers_for(draw, type_code):
    answers = {}
    for axis in EXPECTED[type_code]:
        kind = draw(st.sampled_from(["none", "na", "level"]))
        if kind == "none":
            continue
        if kind == "na":
            answers[axis] = (None, [], draw(st.sets(st.sampled_from(["b1", "b2"]))))
            continue
        level = draw(st.integers(0, 3))
        targets = draw(st.lists(st.integers(level + 1, 3), unique=True, max_size=3)) if level < 3 else []
        years = sorted(
            draw(st.lists(st.integers(2018, 2025), min_size=len(targets), max_size=len(targets), unique=True))
        )
        milestones = list(zip(sorted(targets), years, strict=True))
        answers[axis] = (level, milestones, draw(st.sets(st.sampled_from(["b1", "b2"]))))
    return answers


subject_strategy = st.sampled_from(["T1", "T2", "T3"]).flatmap(
    lambda t: st.fixed_dictionaries(
        {
            "type": st.just(t),
            "status": st.sampled_from(["active", "active", "deploying", "technical", "retired"]),
            "assessment": st.sampled_from(["submitted", "validated", "draft"]),
            "region": st.sampled_from(["11", "76"]),
            "answers": answers_for(t),
        }
    )
)


def rnd(n, d):
    if not d:
        return None
    return float((Decimal(n) / Decimal(d)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def reference_axes(subjects):
    """Axis figures read from the definitions, subject by subject."""
    published = [s for s in subjects if s["status"] == "active" and s["assessment"] != "draft"]
    axes = []
    for axis in ["A1", "A2", "A3"]:
        levels, na, with_exp = [], 0, []
        for s in published:
            if axis not in s["answers"]:
                continue
            level, milestones, _ = s["answers"][axis]
            if level is None:
                na += 1
                continue
            levels.append(level)
            expected = EXPECTED[s["type"]].get(axis)
            if expected is not None:
                with_exp.append((level, expected, milestones))
        years = [y for _, _, ms in with_exp for _, y in ms]
        projection = []
        if years:
            for year in range(2020, max(years) + 1):
                reached = sum(
                    1
                    for level, expected, ms in with_exp
                    if max([level] + [lv for lv, y in ms if y <= year]) >= expected
                )
                projection.append({"date": f"{year}-12-31", "reached_rate": rnd(reached, len(with_exp))})
        reached_now = sum(1 for level, expected, _ in with_exp if level >= expected)
        axes.append(
            {
                "code": axis,
                "name": f"Axe {axis}",
                "answered": len(levels),
                "not_applicable": na,
                "mean_level": rnd(sum(levels), len(levels)),
                "distribution": {str(lv): levels.count(lv) for lv in range(4)},
                "with_expectation": len(with_exp),
                "reached": reached_now,
                "reached_rate": rnd(reached_now, len(with_exp)),
                "projection": projection,
                "suppressed": False,
            }
        )
    return axes


def load(campaign, axes, blockers, subjects):
    for i, s in enumerate(subjects):
        org = f.OrganisationFactory(kind="grades", region=s["region"], siren="", code=f"o{i}")
        subject = f.SubjectFactory(
            code=f"s{i}",
            kind="service",
            type_or_category=s["type"],
            status=s["status"],
            region=s["region"],
            organisation=org,
        )
        assessment = f.AssessmentFactory(campaign=campaign, subject=subject, status=s["assessment"])
        for axis_code, (level, milestones, blocker_codes) in s["answers"].items():
            answer(
                assessment,
                axes[axis_code],
                level,
                not_applicable=level is None,
                milestones=[(lv, datetime.date(y, 12, 31)) for lv, y in milestones],
                blockers=[blockers[c] for c in sorted(blocker_codes)],
            )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(subjects=st.lists(subject_strategy, max_size=10), min_cell=st.integers(1, 4))
def test_the_figures_follow_their_definitions_for_any_data(subjects, min_cell):
    with transaction.atomic():
        _ref, campaign, axes, blockers = build_referential()
        load(campaign, axes, blockers, subjects)
        report = report_compute(ReportParams(campaign="golden", scope="services")).as_dict()
        public = report_compute(
            ReportParams(campaign="golden", scope="services", public=True, min_cell=min_cell)
        ).as_dict()
        transaction.set_rollback(True)

    counted = [s for s in subjects if s["status"] != "retired" and s["assessment"] != "draft"]
    published = [s for s in counted if s["status"] == "active"]
    assert report["subjects"]["total"] == len(counted)
    assert report["subjects"]["published"] == len(published)
    assert sum(report["subjects"]["by_status"].values()) == len(counted)
    assert all(n > 0 for n in report["subjects"]["by_status"].values())
    assert report["subjects"]["common_core"] == sum(1 for s in published if s["type"] in COMMON_CORE)
    assert report["axes"] == reference_axes(subjects)

    for axis in report["axes"]:
        assert axis["reached"] <= axis["with_expectation"] <= axis["answered"]
        assert sum(axis["distribution"].values()) == axis["answered"]
        rates = [p["reached_rate"] for p in axis["projection"]]
        assert rates == sorted(rates)
        if rates:
            assert rates[0] >= axis["reached_rate"]

    # Public mode: no suppressible cell below K is shown, and suppressed entries come last.
    for axis in public["axes"]:
        if axis["suppressed"]:
            assert axis["answered"] < min_cell
            assert axis["distribution"] is axis["reached_rate"] is axis["projection"] is None
        else:
            assert axis["answered"] >= min_cell
    groups = [*public["families"], *(t for fam in public["families"] for t in fam["types"])]
    for group in groups:
        assert group["suppressed"] == (group["subjects"] is None)
        assert group["subjects"] is None or group["subjects"] >= min_cell
    flags = [g["suppressed"] for g in public["families"]]
    assert flags == sorted(flags)
    assert all(b["subjects"] >= min_cell for b in public["blockers"])
    assert public["axes_measured"] == sum(1 for a in public["axes"] if a["reached_rate"] is not None)
