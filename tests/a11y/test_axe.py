"""Accessibility (RGAA 4.1): axe-core on every page of every role, and on key states (forms with
errors, the error pages), in Chromium at 1,280 px. A serious or critical violation fails; every
page's counts are printed (and written to data/a11y/<role>.txt)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from .axe import Audit, audit
from .pages import ROLES, World, build_world, client_for, pages_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Not test-results/: pytest-playwright empties it when a run starts.
REPORTS = Path(__file__).resolve().parents[2] / "data" / "a11y"


def _submit_unchecked(page) -> None:
    """Submit the page's main form as it is, past the browser's own checks (`required`...): the
    server's error messages are the state under test."""
    form = page.locator("main form[method=post]").last
    form.evaluate("form => { form.noValidate = true; }")
    form.locator("button[type=submit], input[type=submit]").last.click()
    page.wait_for_load_state()


def _clear_and_submit(field: str) -> Callable:
    def act(page) -> None:
        page.fill(f"main [name={field}]", "")
        _submit_unchecked(page)

    return act


def _wrong_password(page) -> None:
    page.fill("input[name=login]", "nobody@example.org")
    page.fill("input[name=password]", "not-the-password")
    _submit_unchecked(page)


@dataclass(frozen=True)
class KeyState:
    role: str
    name: str
    url: Callable[[World], str]
    act: Callable | None = None  # what the browser does on the page before the audit


KEY_STATES = [
    KeyState(
        "anonymous", "account_login (wrong password)", lambda w: reverse("account_login"), _wrong_password
    ),
    KeyState("anonymous", "404 page", lambda w: "/no-such-page/"),
    KeyState("employee", "403 page", lambda w: reverse("organisations:audit_log")),
    KeyState(
        "account_manager", "catalog:create (errors)", lambda w: reverse("catalog:create"), _submit_unchecked
    ),
    KeyState(
        "account_manager",
        "catalog:edit (errors)",
        lambda w: reverse("catalog:edit", kwargs={"pk": w.orgs["vendor"].subject.pk}),
        _clear_and_submit("name"),
    ),
    KeyState(
        "account_manager",
        "organisations:invite (errors)",
        lambda w: reverse("organisations:invite"),
        _submit_unchecked,
    ),
    KeyState(
        "account_manager",
        "organisations:edit (errors)",
        lambda w: reverse("organisations:edit"),
        _clear_and_submit("name"),
    ),
    KeyState(
        "agency_analyst",
        "organisations:create (errors)",
        lambda w: reverse("organisations:create"),
        _submit_unchecked,
    ),
    KeyState(
        "agency_analyst",
        "campaigns:create (errors)",
        lambda w: reverse("campaigns:create"),
        _submit_unchecked,
    ),
]


# (page, axe rule) -> why it does not fail the suite: violations in what this project does not
# write (a third-party page), each named here so that the report lists it and the accessibility
# statement declares it. Anything else serious or critical fails.
KNOWN: dict[tuple[str, str], str] = {
    (page, rule): "Swagger UI (drf-spectacular's API documentation page): its own markup and stylesheet"
    for page in ("api:docs",)
    for rule in ("color-contrast", "html-has-lang", "nested-interactive")
}


def _log_in(page, live_server, client) -> None:
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _report(role: str, audits: list[Audit]) -> str:
    REPORTS.mkdir(parents=True, exist_ok=True)
    table = "\n".join(a.line() for a in audits)
    (REPORTS / f"{role}.txt").write_text(table + "\n")
    return table


@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_the_role_has_a_serious_or_critical_violation(live_server, page, role, capsys):
    world = build_world()
    client = client_for(world, role)
    pages = pages_for(world, role, client)
    assert len(pages) >= (3 if role == "anonymous" else 15), pages  # the walk found the pages
    if role != "anonymous":
        _log_in(page, live_server, client)
    audits = []
    for visited in pages:
        page.goto(f"{live_server.url}{visited.url}")
        audits.append(audit(page, role=role, name=visited.name, url=visited.url))
    for state in (s for s in KEY_STATES if s.role == role):
        url = state.url(world)
        page.goto(f"{live_server.url}{url}")
        if state.act:
            state.act(page)
        audits.append(audit(page, role=role, name=state.name, url=url))
    table = _report(role, audits)
    with capsys.disabled():
        print(f"\naxe-core, {role}: {len(audits)} pages\n{table}")
    failing = [a.without(KNOWN) for a in audits]
    failing = [a for a in failing if a.failing]
    assert not failing, "serious or critical violations:\n" + "\n".join(a.details() for a in failing)


def test_the_page_list_reuses_the_access_policy_walk(db):
    """Every HTML page of the role is in the list: a page the role may see is not forgotten (the
    catalogue for a declarant, the organisations for the agency), nor one it may not shown."""
    world = build_world()
    employee = {p.name for p in pages_for(world, "employee", client_for(world, "employee"))}
    agency = {p.name for p in pages_for(world, "agency_analyst", client_for(world, "agency_analyst"))}
    assert {"web:home", "catalog:list", "catalog:detail", "assessments:questionnaire"} <= employee
    assert "organisations:audit_log" not in employee
    assert {"organisations:list", "assessments:review_queue", "organisations:audit_log"} <= agency
