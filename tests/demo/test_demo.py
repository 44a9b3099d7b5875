"""`convergence demo`: realistic volumes, deterministic, idempotent, demo accounts."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import transaction
from django.db.models import Avg, Count
from django.urls import reverse

from convergence.analytics.facts import facts_refresh
from convergence.analytics.models import AnswerFact
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.demo.accounts import DEMO_PASSWORD
from convergence.demo.generator import DEMO_ACCOUNTS, generate
from convergence.lib.siren import is_valid_siren
from convergence.organisations.models import Organisation, User
from convergence.referential.services import load_default_referentials


def run_demo(**options) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "organisations": Organisation.objects.count(),
        "subjects": list(
            Subject.objects.order_by("code").values_list("code", "kind", "status", "type_or_category")
        ),
        "assessments": list(
            Assessment.objects.values_list("campaign__code", "status")
            .annotate(n=Count("pk"))
            .order_by("campaign__code", "status")
        ),
        "levels": list(
            Answer.objects.order_by(
                "assessment__subject__code", "assessment__campaign__code", "axis__code"
            ).values_list("assessment__subject__code", "axis__code", "level", "needs_recheck")
        ),
        "milestones": Milestone.objects.count(),
        "blockers": AnswerBlocker.objects.count(),
    }


@pytest.mark.django_db
def test_the_demo_loads_realistic_volumes_and_is_idempotent():
    output = run_demo()
    assert "created 137 organisations" in output
    assert Organisation.objects.filter(kind="ars").count() == 18
    assert Organisation.objects.filter(kind="grades").count() == 18
    assert Organisation.objects.filter(kind="agency").count() == 1
    vendors = Organisation.objects.filter(kind="vendor")
    assert 90 <= vendors.count() <= 110
    assert all(is_valid_siren(siren) for siren in vendors.values_list("siren", flat=True))
    services = Subject.objects.filter(kind="service")
    assert 330 <= services.count() <= 370
    assert services.filter(status="active").count() > 0.8 * services.count()
    assert {"deploying", "technical", "retired"} <= set(services.values_list("status", flat=True))
    assert 450 <= Subject.objects.filter(kind="product").count() <= 600
    assert len(set(services.values_list("region", flat=True))) == 18

    past, current = Campaign.objects.get(code="2025-S2"), Campaign.objects.get(code="2026-S2")
    assert (past.status, past.referential.code) == ("closed", "doctrine-2019")
    assert (current.status, current.referential.code) == ("open", "doctrine-2023")
    statuses = set(Assessment.objects.filter(campaign=current).values_list("status", flat=True))
    assert statuses == {"draft", "submitted", "returned", "validated"}
    assert not Assessment.objects.filter(status="returned", returned_reason="").exists()
    # One assessment per active subject in the open campaign, none for the others.
    assert (
        Assessment.objects.filter(campaign=current).count() == Subject.objects.filter(status="active").count()
    )
    assert Assessment.objects.filter(campaign=current).exclude(carried_from=None).exists()
    assert Answer.objects.filter(needs_recheck=True).exists()
    # Levels skewed as in the public results: INS, MSS, INTEROP high; DMP low.
    means = dict(
        Answer.objects.filter(assessment__campaign=current, level__isnull=False)
        .values_list("axis__code")
        .annotate(mean=Avg("level"))
    )
    assert min(means["INS"], means["MSS"], means["INTEROP"]) > 2.2
    assert means["DMP"] < 1.6
    assert Answer.objects.filter(not_applicable=True).exclude(not_applicable_reason="").exists()
    assert AnswerBlocker.objects.filter(
        answer__axis__code="DMP", category__code="visibilite-articulation"
    ).exists()
    assert AnswerBlocker.objects.filter(
        answer__axis__code="ROR", category__code="calendrier-national"
    ).exists()
    assert AnswerBlocker.objects.filter(
        answer__axis__code="MSS", category__code="migration-non-planifiee"
    ).exists()

    # The report facts followed the demo's bulk writes (database triggers, analytics/facts.py).
    facts_refresh()
    assert AnswerFact.objects.filter(campaign_id=current.pk).count() > 1000
    check = io.StringIO()
    call_command("report_facts", "--check", stdout=check)
    assert "equal to the source tables" in check.getvalue()

    before = snapshot()
    assert "already loaded" in run_demo()
    assert snapshot() == before


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    load_default_referentials()
    with transaction.atomic():
        generate(scale=0.2, seed=7)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Subject.objects.exists()
    generate(scale=0.2, seed=7)
    assert snapshot() == first
    assert len(first["subjects"]) > 100


@pytest.mark.django_db
def test_demo_accounts_log_in_only_in_demo_mode(client, settings):
    settings.DEMO_MODE = False
    output = run_demo(scale=0.1)
    assert DEMO_PASSWORD not in output
    assert not client.login(username="analyste.agence", password=DEMO_PASSWORD)
    settings.DEMO_MODE = True
    output = run_demo(scale=0.1)
    assert DEMO_PASSWORD in output
    for email, _org, role in DEMO_ACCOUNTS:
        assert email in output
        user = User.objects.get(email=email)
        assert user.memberships.get().role == role
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists()
    assert client.login(username="analyste.agence", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_in_demo_mode_the_login_page_shows_the_accounts_and_the_current_two_factor_code(client, settings):
    from convergence.demo.accounts import demo_totp_code

    settings.DEMO_MODE = True
    before = demo_totp_code()
    page = client.get(reverse("account_login")).content.decode()
    after = demo_totp_code()  # the code may roll over between the two reads
    assert "analyste.agence@demo.convergence.test" in page
    assert DEMO_PASSWORD in page
    shown = re.search(r'id="demo-totp-code">(\d{6})<', page)
    assert shown and shown.group(1) in {before, after}


@pytest.mark.django_db
def test_outside_demo_mode_the_login_page_shows_no_credentials(client, settings):
    settings.DEMO_MODE = False
    page = client.get(reverse("account_login")).content.decode()
    assert DEMO_PASSWORD not in page
    assert "demo-login-help" not in page
