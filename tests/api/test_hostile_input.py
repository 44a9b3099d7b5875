"""Hostile or malformed input never answers 500, and every API error, whatever raised it (a view,
the parser, the URL resolver, an unexpected exception), has the documented JSON shape."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _etag(world):
    return world.client_a.get(f"/api/assessments/{world.assessment_a.pk}/")["ETag"]


def _assert_error_shape(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert errors and all(set(error) == {"field", "message"} and error["message"] for error in errors)
    return errors


def test_a_nul_byte_in_a_comment_is_a_400_naming_the_field_and_nothing_is_saved(world):
    url = f"/api/assessments/{world.assessment_a.pk}/answers/INS/"
    response = world.client_a.put(
        url, {"level": 1, "comment": "before\x00after"}, format="json", HTTP_IF_MATCH=_etag(world)
    )
    errors = _assert_error_shape(response, 400)
    assert [error["field"] for error in errors] == ["comment"]
    assert not world.assessment_a.answers.exists()


@pytest.mark.parametrize("field", ["blockers", "not_applicable_reason"])
def test_a_nul_byte_in_any_text_of_an_answer_is_a_400(world, field):
    value = ["visib\x00ilite"] if field == "blockers" else "no\x00reason"
    body = {"level": 1, field: value}
    if field == "not_applicable_reason":
        body = {"not_applicable": True, field: value}
    response = world.client_a.put(
        f"/api/assessments/{world.assessment_a.pk}/answers/INS/",
        body,
        format="json",
        HTTP_IF_MATCH=_etag(world),
    )
    _assert_error_shape(response, 400)


def test_a_nul_byte_in_a_subject_name_is_a_400(world):
    response = world.client_a.post(
        "/api/subjects/", {"name": "Pro\x00duit", "kind": "product", "type_or_category": "dpi"}, format="json"
    )
    assert [error["field"] for error in _assert_error_shape(response, 400)] == ["name"]


@pytest.mark.parametrize("depth", [33, 2_000, 100_000])
def test_deeply_nested_json_is_a_400_parse_error(world, depth):
    body = "[" * depth + "]" * depth
    response = world.client_a.generic(
        "PUT",
        f"/api/assessments/{world.assessment_a.pk}/answers/INS/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=_etag(world),
    )
    errors = _assert_error_shape(response, 400)
    assert errors[0]["field"] is None
    assert "nest" in errors[0]["message"]


def test_malformed_json_is_a_400_in_the_error_shape(world):
    response = world.client_a.generic("POST", "/api/subjects/", '{"name": ', content_type="application/json")
    _assert_error_shape(response, 400)


def test_an_unknown_api_address_is_a_json_404_and_a_page_address_the_sites_404(world, settings):
    settings.DEBUG = False
    response = world.client_a.get("/api/nothing-here/")
    _assert_error_shape(response, 404)
    page = Client().get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert "Page not found" not in page.content.decode() or "fr-" in page.content.decode()


@pytest.mark.urls("tests.api.urls_unexpected_error")
def test_an_unexpected_error_under_the_api_is_a_json_500_without_internals(world, settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/api/failing/")
    _assert_error_shape(response, 500)
    assert "secret" not in response.content.decode()
    assert "ZeroDivisionError" not in response.content.decode()


def test_a_body_nested_within_the_limit_is_parsed_and_validated_as_usual(world):
    from convergence.api.parsers import MAX_DEPTH

    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    response = world.client_a.generic("POST", "/api/subjects/", body, content_type="application/json")
    errors = _assert_error_shape(response, 400)
    assert "nested too deeply" not in errors[0]["message"]


def test_the_api_index_lists_the_endpoints_for_people_and_programs(client):
    page = client.get("/api/")
    assert page.status_code == 200
    assert "/api/assessments/" in page.content.decode()
    assert 'href="/api/docs/"' in page.content.decode()
    data = client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert data["schema"].endswith("/api/schema/")
    assert {"/api/subjects/", "/api/campaigns/"} <= {endpoint["path"] for endpoint in data["endpoints"]}
