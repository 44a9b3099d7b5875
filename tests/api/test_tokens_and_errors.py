import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from convergence.api.models import PersonalAccessToken

pytestmark = pytest.mark.django_db


def test_without_credentials_the_api_answers_401_in_the_error_format(world):
    response = APIClient().get("/api/subjects/")
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["field"] is None


def test_a_revoked_or_expired_token_is_refused(world):
    token = PersonalAccessToken.objects.get(user=world.user_a)
    token.revoked_at = timezone.now()
    token.save()
    response = world.client_a.get("/api/subjects/")
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["message"]
    token.revoked_at = None
    token.expires_at = timezone.now() - datetime.timedelta(days=1)
    token.save()
    assert world.client_a.get("/api/subjects/").status_code == 401


def test_only_a_hash_of_the_token_is_stored_and_use_is_recorded(world):
    token = PersonalAccessToken.objects.get(user=world.user_a)
    assert world.token_a not in (token.token_hash, token.prefix)
    assert token.last_used_at is None
    world.client_a.get("/api/subjects/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_validation_errors_name_their_field(world):
    response = world.client_a.post("/api/subjects/", {"type_or_category": "dpi"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["name"]
    assert errors[0]["message"]


def test_the_token_page_shows_a_new_token_once_and_revokes_with_confirmation(world, client):
    client.force_login(world.user_a)
    response = client.post("/api/jetons/", {"name": "sync", "expires_in_days": "30"})
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get(user=world.user_a, name="sync")
    page = response.content.decode()
    raw = page.split('id="created-token">')[1].split("<")[0]
    assert raw.startswith(token.prefix)
    assert raw not in client.get("/api/jetons/").content.decode()
    assert "data-confirm" in page
    client.post(f"/api/jetons/{token.pk}/revoquer/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(world, client):
    client.force_login(world.user_b)
    token = PersonalAccessToken.objects.get(user=world.user_a)
    assert client.post(f"/api/jetons/{token.pk}/revoquer/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_rate_limit_is_per_token(world, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    from convergence.api.throttling import TokenRateThrottle

    cache.clear()
    original = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "api_token": "3/minute"}
    try:
        codes = [world.client_a.get("/api/campaigns/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert world.client_b.get("/api/campaigns/").status_code == 200
    finally:
        TokenRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_lists_run_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    from convergence.assessments.models import Answer

    for axis in world.referential.axes.all():
        Answer.objects.create(assessment=world.assessment_a, axis=axis, level=1)
    with django_assert_max_num_queries(12):
        response = world.client_a.get("/api/assessments/")
    assert len(response.json()["results"][0]["answers"]) == 2
