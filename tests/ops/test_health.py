"""`GET /healthz` (contract, section 8)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.ops.servers import BIN, ROOT, base_env

pytestmark = pytest.mark.django_db


def test_it_answers_ok_without_login_cookie_or_anything_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_it_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


def test_it_answers_503_when_the_database_is_unreachable(tmp_path):
    # A separate process whose database is a closed port: the real failure, not a simulated one.
    code = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code); print(r.content.decode()); print(len(r.cookies))"
    )
    env = base_env(tmp_path, "postgres://postgres@127.0.0.1:1/conv_prod_nowhere", ALLOWED_HOSTS="testserver")
    result = subprocess.run(
        [BIN / "convergence", "shell", "--no-imports", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    status, body, cookies = result.stdout.strip().splitlines()[-3:]
    assert status == "503"
    assert json.loads(body) == {"status": "unavailable"}
    assert cookies == "0"
