"""Schemathesis walks the whole OpenAPI schema with each organisation's token: no server error,
and every response conforms to the schema (status codes, bodies, headers)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from convergence.wsgi import application

EXAMPLES_PER_OPERATION = 10
# What the API promises: no server error, and responses (status, content type, body) as the
# schema says. Business rules may refuse schema-valid input (an unknown category): not checked.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_test_connection():
    """The WSGI application is called in-process: keep Django from closing the database
    connection at the end of each request (it holds the test's transaction; on PostgreSQL
    closing it loses everything). Django's test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_api_conforms_to_its_schema(world, keep_test_connection):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            # Each generated request is sent with both organisations' tokens.
            for token in (world.token_a, world.token_b):
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        check()


def test_the_schema_and_its_docs_are_served_locally(client, db):
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
