import os
import shutil

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright runs an event loop

# Property tests draw the same examples on every run (a run on main must not fail on a draw that
# the previous one did not make). To hunt for new counter-examples, run with
# HYPOTHESIS_PROFILE=explore, which draws at random and tries more of them.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=2000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# Browser assertions wait for a state (`expect(...).to_...`); this only bounds how long before they
# give up. Playwright's 5 s default is shorter than a page (an import check, a PDF) takes on a
# loaded machine: the journeys then failed although nothing was wrong.
expect.set_options(timeout=30_000)


class SerialWSGIServer(WSGIServer):
    """The live server answers one request at a time. Under SQLite the test database lives in
    memory and every request thread of Django's threaded live server shares the test's one
    connection: an htmx poll arriving while another request writes failed with "database table
    is locked" (a 400 or 500 in the page) as soon as load made the two overlap. Django's server
    closes each connection after its answer when it is not threaded, so browsers do not hold it."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override  # applied by LiveServerThread.run()


LiveServerThread.server_class = SerialWSGIServer

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("CONVERGENCE_REQUIRE_BROWSER"):
        raise pytest.UsageError("Browser tests are required but chromium is not installed.")
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords or "page" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def english_by_default():
    """Tests read messages in the source language (English); French, the site's default language,
    is checked by the translation tests, which ask for it explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """The test client asks for English pages, like the rest of the suite (see above)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


# The access-policy test (organisations/test_access_policy.py) says how many (URL x role) cases
# ran. Counted from the test reports, which reach this process also when xdist runs the tests in
# workers (a hook in the organisations' conftest is not loaded by xdist's controller).
ACCESS_POLICY_TEST = "test_access_policy.py::test_the_url_answers_the_role_as_its_policy_says["


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ran = {
        outcome: sum(
            ACCESS_POLICY_TEST in getattr(report, "nodeid", "") and report.when in ("call", "setup")
            for report in terminalreporter.stats.get(outcome, [])
        )
        for outcome in ("passed", "failed", "xfailed", "xpassed", "error", "skipped")
    }
    total = sum(ran.values())
    if total:
        details = ", ".join(f"{count} {outcome}" for outcome, count in ran.items() if count)
        terminalreporter.write_line(f"access policy: {total} (URL x role) cases ({details})")
