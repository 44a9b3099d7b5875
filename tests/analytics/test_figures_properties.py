"""Properties of the pure engine (analytics/figures.py) on plain tuples: no database, no Django
model; the rows are what analytics/queries.py returns."""

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergence.analytics.figures import CampaignInfo, ReportParams, Statuses, Typology, build_report

AXES = [(1, "A1", "Axe 1"), (2, "A2", "Axe 2"), (3, "A3", "Axe 3")]
TYPES = {
    "T1": ("Type 1", "F1", "Famille 1", 0, True),
    "T2": ("Type 2", "F1", "Famille 1", 0, True),
    "T3": ("Type 3", "F2", "Famille 2", 1, False),
}
TYPOLOGY = Typology(referential="ref", axes=AXES, levels=[0, 1, 2, 3], types=TYPES)
STATUSES = Statuses(published="active", excluded=("deploying", "technical"))
CAMPAIGN = CampaignInfo(code="c", title="C", closes_on=datetime.date(2025, 12, 15))

levels = st.one_of(st.none(), st.integers(0, 3))
answer_rows = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 3]),  # axis id
        levels,  # level
        st.booleans(),  # not applicable
        levels,  # expected level
        st.one_of(st.none(), st.integers(2025, 2030)),  # first reaching year
        st.integers(1, 40),  # answers
        st.one_of(st.none(), st.integers(2025, 2031)),  # latest milestone year
    ),
    max_size=30,
)
subject_rows = st.lists(
    st.tuples(
        st.sampled_from(["active", "deploying", "technical"]),
        st.sampled_from(list(TYPES)),
        st.integers(1, 30),
    ),
    max_size=10,
)
blocker_rows = st.lists(
    st.tuples(st.sampled_from([1, 2, 3, 99]), st.sampled_from(["b1", "b2", "b3"]), st.integers(1, 20)),
    max_size=8,
    unique_by=lambda r: (r[0], r[1]),
)


def report(subjects, answers, blockers, *, public=False, min_cell=5):
    return build_report(
        ReportParams("c", "services", public=public, min_cell=min_cell),
        campaign=CAMPAIGN,
        typology=TYPOLOGY,
        statuses=STATUSES,
        subject_rows=subjects,
        answer_rows=answers,
        blocker_rows=blockers,
    ).as_dict()


# Plain tuples, no database: fast, but the shared machine's load can slow the draws themselves.
RELAXED = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@RELAXED
@given(subject_rows, answer_rows, blocker_rows)
def test_the_figures_obey_their_definitions_for_any_rows(subjects, answers, blockers):
    data = report(subjects, answers, blockers)
    for axis in data["axes"]:
        assert axis["reached"] <= axis["with_expectation"] <= axis["answered"]
        assert sum(axis["distribution"].values()) == axis["answered"]
        if axis["answered"]:
            assert 0 <= axis["mean_level"] <= 3
        rates = [p["reached_rate"] for p in axis["projection"]]
        assert rates == sorted(rates) and all(0 <= r <= 1 for r in rates)
    counted = sum(n for _s, _t, n in subjects)
    assert data["subjects"]["total"] == counted
    assert data["subjects"]["published"] + data["subjects"]["excluded"] == counted
    assert data["subjects"]["common_core"] == sum(f["subjects"] for f in data["families"])
    assert [b["subjects"] for b in data["blockers"]] == sorted(
        (b["subjects"] for b in data["blockers"]), reverse=True
    )
    assert all(b["axis"] in {"A1", "A2", "A3"} for b in data["blockers"])  # unknown axes left out


@RELAXED
@given(subject_rows, answer_rows, blocker_rows, st.integers(1, 12))
def test_public_mode_shows_no_count_below_k(subjects, answers, blockers, k):
    data = report(subjects, answers, blockers, public=True, min_cell=k)
    for axis in data["axes"]:
        assert axis["suppressed"] == (axis["answered"] < k)
        if axis["suppressed"]:
            assert axis["mean_level"] is axis["distribution"] is axis["reached_rate"] is None
    for family in data["families"]:
        assert family["suppressed"] == (family["subjects"] is None)
        assert family["subjects"] is None or family["subjects"] >= k
    shown = [f for f in data["families"] if not f["suppressed"]]
    assert data["families"][: len(shown)] == shown  # the suppressed ones come last
    assert all(b["subjects"] >= k for b in data["blockers"])
