"""Small hand-made datasets shared by the analytics tests (built with the suite's factories)."""

import datetime

from tests import factories as f


def build_referential():
    """Scale 0-3; axes A1, A2, A3; family F1 (T1, T2 common core), F2 (T3, not common core);
    product categories C1, C2; blocker categories b1, b2."""
    ref = f.ReferentialFactory(code="golden-ref")
    axes = {
        code: f.AxisFactory(referential=ref, code=code, name=f"Axe {code}", position=i)
        for i, code in enumerate(["A1", "A2", "A3"])
    }
    f1 = f.ServiceFamilyFactory(referential=ref, code="F1", name="Famille 1", position=0)
    f2 = f.ServiceFamilyFactory(referential=ref, code="F2", name="Famille 2", position=1)
    types = {
        "T1": f.ServiceTypeFactory(referential=ref, family=f1, code="T1", name="Type 1", common_core=True),
        "T2": f.ServiceTypeFactory(referential=ref, family=f1, code="T2", name="Type 2", common_core=True),
        "T3": f.ServiceTypeFactory(referential=ref, family=f2, code="T3", name="Type 3", common_core=False),
    }
    # Expected levels: T1 {A1: 2, A2: null}; T2 {A1: 3, A3: 1}; T3 {A1: 2}.
    for type_code, expectations in {
        "T1": {"A1": 2, "A2": None},
        "T2": {"A1": 3, "A3": 1},
        "T3": {"A1": 2},
    }.items():
        for axis_code, level in expectations.items():
            f.ExpectationFactory(
                referential=ref, axis=axes[axis_code], service_type=types[type_code], expected_level=level
            )
    cats = {
        "C1": f.ProductCategoryFactory(referential=ref, code="C1", name="Catégorie 1"),
        "C2": f.ProductCategoryFactory(referential=ref, code="C2", name="Catégorie 2"),
    }
    for cat_code, expectations in {"C1": {"A1": 2, "A2": 3}, "C2": {"A1": 1}}.items():
        for axis_code, level in expectations.items():
            f.ExpectationFactory(
                referential=ref, axis=axes[axis_code], product_category=cats[cat_code], expected_level=level
            )
    blockers = {
        code: f.BlockerCategoryFactory(referential=ref, code=code, name=f"Frein {code}")
        for code in ["b1", "b2"]
    }
    campaign = f.CampaignFactory(code="golden", referential=ref, closes_on=datetime.date(2020, 12, 15))
    return ref, campaign, axes, blockers


def answer(assessment, axis, level, *, milestones=(), blockers=(), not_applicable=False):
    a = f.AnswerFactory(
        assessment=assessment,
        axis=axis,
        level=level,
        not_applicable=not_applicable,
        not_applicable_reason="n/a" if not_applicable else "",
    )
    for m_level, due_on in milestones:
        f.MilestoneFactory(answer=a, level=m_level, due_on=due_on)
    for blocker in blockers:
        a.blockers.add(blocker)
    return a


def service(campaign, code, type_code, *, status="active", assessment_status="submitted", region="76"):
    org = f.OrganisationFactory(kind="grades", region=region, siren="", code=f"org-{code}")
    subject = f.SubjectFactory(
        code=code, kind="service", type_or_category=type_code, status=status, region=region, organisation=org
    )
    return f.AssessmentFactory(campaign=campaign, subject=subject, status=assessment_status)


def build_golden_services():
    ref, campaign, ax, bl = build_referential()
    d = datetime.date
    # S1 T1 active submitted: A1=2 (expected 2: reached), milestone 3 in 2022; A2=1; A1 blocker b1.
    s1 = service(campaign, "s1", "T1")
    answer(s1, ax["A1"], 2, milestones=[(3, d(2022, 12, 31))], blockers=[bl["b1"]])
    answer(s1, ax["A2"], 1)
    # S2 T1 active validated: A1=1 with milestones 2 by 2021-06-30, 3 by 2023-12-31; A2 not
    # applicable with blocker b2.
    s2 = service(campaign, "s2", "T1", assessment_status="validated")
    answer(s2, ax["A1"], 1, milestones=[(2, d(2021, 6, 30)), (3, d(2023, 12, 31))])
    answer(s2, ax["A2"], None, not_applicable=True, blockers=[bl["b2"]])
    # S3 T2 active submitted, region 11: A1=2 (expected 3) milestone 3 by 2022-12-31; A3=0.
    s3 = service(campaign, "s3", "T2", region="11")
    answer(s3, ax["A1"], 2, milestones=[(3, d(2022, 12, 31))])
    answer(s3, ax["A3"], 0)
    # S4 T3 deploying: counted in total, excluded from every figure below it.
    s4 = service(campaign, "s4", "T3", status="deploying")
    answer(s4, ax["A1"], 3, blockers=[bl["b2"]])
    # S5 T1 active but its assessment is a draft: not counted at all.
    s5 = service(campaign, "s5", "T1", assessment_status="draft")
    answer(s5, ax["A1"], 3)
    # S6 T2 retired: not counted at all.
    s6 = service(campaign, "s6", "T2", status="retired")
    answer(s6, ax["A1"], 3)
    # S7 T3 active (not common core): A1=0, milestone 1 due in 2019 (past, below expected); b1.
    s7 = service(campaign, "s7", "T3")
    answer(s7, ax["A1"], 0, milestones=[(1, d(2019, 12, 31))], blockers=[bl["b1"]])
    # S8 T1 technical, region 11, no answers.
    service(campaign, "s8", "T1", status="technical", region="11", assessment_status="validated")
    return campaign
