"""Strict environment parsing and the production profile's deployment checks."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from convergence.lib.env import Env, InvalidEnvironment
from tests.ops.servers import BIN, ROOT, base_env

PRODUCTION = {
    "CONVERGENCE_PROFILE": "production",
    "DATABASE_URL": "postgres://convergence:secret@127.0.0.1:5432/conv_prod_check",
    "CACHE_URL": "redis://127.0.0.1:6379/3",
    "ALLOWED_HOSTS": "convergence.example",
    "SECRET_KEY": secrets.token_urlsafe(50),
}


def _convergence(tmp_path, *args, **environ):
    env = base_env(tmp_path, environ.pop("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}"), **environ)
    return subprocess.run(
        [BIN / "convergence", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"CONN_MAX_AGE": "ten"}, "CONN_MAX_AGE='ten' is not a whole number"),
        ({"SESSION_COOKIE_AGE": "5"}, "SESSION_COOKIE_AGE='5' must be at least 60"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not one of: text, json"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL: 'mysql://x/y' is not a URL of scheme"),
        ({"CACHE_URL": "memcached://h"}, "CACHE_URL: 'memcached://h' is not a URL of scheme"),
        (
            {"CAMPAIGN_REMINDER_DAYS": "14,soon"},
            "CAMPAIGN_REMINDER_DAYS='14,soon' is not a comma-separated list",
        ),
        (
            {"CONVERGENCE_PROFIL": "production"},
            "CONVERGENCE_PROFIL is not a setting of Convergence (did you mean CONVERGENCE_PROFILE?)",
        ),
    ],
)
def test_the_env_reader_reports_a_malformed_or_unknown_value(environ, message):
    env = Env(environ)
    env.bool("DEBUG")
    env.int("CONN_MAX_AGE", 0)
    env.int("SESSION_COOKIE_AGE", 7200, minimum=60)
    env.choice("LOG_FORMAT", ("text", "json"), "text")
    env.url("DATABASE_URL", ("sqlite", "postgres"))
    env.url("CACHE_URL", ("redis",))
    env.int_list("CAMPAIGN_REMINDER_DAYS", "14,3")
    env.str("CONVERGENCE_PROFILE")
    env.check_unknown()
    with pytest.raises(InvalidEnvironment) as error:
        env.raise_if_problems()
    assert [message in problem for problem in error.value.problems] == [True]


def test_a_password_in_a_malformed_url_is_not_printed():
    env = Env({"DATABASE_URL": "mysql://user:hunter2@db/x"})
    env.url("DATABASE_URL", ("postgres",))
    assert "hunter2" not in env.problems[0]


def test_a_well_formed_environment_reads_its_values():
    env = Env({"DEBUG": "on", "CONN_MAX_AGE": "600", "ALLOWED_HOSTS": " a.example, b.example ,"})
    assert env.bool("DEBUG") is True
    assert env.int("CONN_MAX_AGE", 0) == 600
    assert env.list("ALLOWED_HOSTS") == ["a.example", "b.example"]
    env.check_unknown()
    env.raise_if_problems()


def test_the_process_stops_at_start_with_every_problem_and_no_traceback(tmp_path):
    result = _convergence(tmp_path, "check", DEBUG="maybe", CONVERGENCE_PROFIL="production")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DEBUG='maybe' is not a boolean" in result.stderr
    assert "did you mean CONVERGENCE_PROFILE?" in result.stderr


def test_the_production_profile_names_every_missing_setting(tmp_path):
    result = _convergence(
        tmp_path, "check", CONVERGENCE_PROFILE="production", CONVERGENCE_DEMO="1", SECRET_KEY=""
    )
    assert result.returncode == 2
    for name in ("SECRET_KEY", "CACHE_URL", "ALLOWED_HOSTS", "CONVERGENCE_DEMO"):
        assert name in result.stderr
    assert "runs on PostgreSQL" in result.stderr


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = _convergence(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_production_settings_pool_connections_check_them_and_log_json(tmp_path):
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['OPTIONS']['pool']['max_size'], d['CONN_HEALTH_CHECKS'], d['CONN_MAX_AGE'], "
        "s.CACHES['default']['BACKEND'], s.LOGGING['handlers']['console']['formatter'], s.DEBUG, "
        "s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SESSION_ENGINE)"
    )
    result = _convergence(tmp_path, "shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "4",
        "True",
        "0",
        "django.core.cache.backends.redis.RedisCache",
        "json",
        "False",
        "True",
        "31536000",
        "django.contrib.sessions.backends.db",  # sessions in the database: web processes are stateless
    ]
