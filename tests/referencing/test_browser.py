"""The journey of "Done when", in Chromium against a live server and a real SMTP server
(aiosmtpd): application, complements requested and answered, a commission opinion with
suspensive reservations, their lifting, the public attestation, a report of non-conformity, an
audit and a suspension that the attestation shows; the notifications in the mails and the bell."""

import datetime
import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from playwright.sync_api import expect

from tests.assessments.test_browser import log_in
from tests.factories import MembershipFactory, UserFactory

from .conftest import PROGRAMME_YAML, build


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def subjects_to(self, address: str) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """English pages: the journey reads the source strings (French is the translation tests')."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": port,
                "timeout": 10,
            },
        }
    }
    yield inbox
    controller.stop()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_from_application_to_a_suspended_attestation(live_server, page, smtp, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    today = datetime.date.today()
    world = build(
        PROGRAMME_YAML.replace(
            "opens_on: 2026-01-01", f"opens_on: {today.replace(year=today.year - 1)}"
        ).replace("closes_on: 2026-06-30", f"closes_on: {today.replace(year=today.year + 1)}")
    )
    reporter = MembershipFactory(organisation=world.other_vendor, user=UserFactory(username="reporter")).user
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    base = live_server.url
    status = page.get_by_test_id("dossier-status")

    # 1. The vendor's account manager applies, answers, accepts the charter and submits.
    log_in(page, live_server, world.manager)
    page.goto(base + reverse("referencing:programme", args=[world.programme.pk]))
    page.get_by_role("link", name="Apply", exact=True).click()
    page.get_by_role("button", name="Create the dossier").click()
    page.get_by_role("link", name="Complete and submit").click()
    page.locator("label[for=answer-mes-no]").click()
    page.locator("label[for=accept_charter]").click()
    page.get_by_role("button", name="Save and submit").click()
    expect(status).to_have_text("Submitted")
    dossier_url = page.url

    # 2. The agency assigns a referent, starts the instruction and asks for complements.
    log_in(page, live_server, world.analyst)
    page.goto(dossier_url)
    page.locator("#referent").select_option(str(world.analyst.pk))
    page.get_by_role("button", name="Assign").click()
    page.get_by_role("button", name="Start the instruction").click()
    expect(status).to_have_text("Under instruction")
    page.locator("#message").fill("Joignez le procès-verbal de recette.")
    page.locator("#due_on").fill((today + datetime.timedelta(days=15)).isoformat())
    page.get_by_role("button", name="Request complements").click()
    expect(status).to_have_text("Complements requested")

    # 3. The vendor sees it in the bell, answers; the instruction resumes.
    log_in(page, live_server, world.manager)
    page.goto(base + "/")
    expect(page.get_by_test_id("notification-unread")).to_be_visible()
    page.get_by_test_id("notification-bell").click()
    expect(page.locator(".cv-notifications")).to_contain_text("Complements requested")
    page.goto(dossier_url)
    page.locator("#answer").fill("Le procès-verbal est joint à l'évaluation.")
    page.get_by_role("button", name="Send the answer").click()
    expect(status).to_have_text("Under instruction")

    # 4. Findings on each applicable requirement, a meeting, the agenda.
    log_in(page, live_server, world.analyst)
    page.goto(dossier_url)
    for code in ("socle", "charte"):
        page.locator(f"button[name=finding-{code}]").click()
        expect(page.locator(f"tr[data-requirement={code}]")).to_contain_text("Met")
    page.goto(base + reverse("referencing:meetings"))
    page.locator("#title").fill("Commission de référencement")
    page.locator("#held_on").fill(today.isoformat())
    page.locator(f"label[for=member-{world.commission_member.pk}]").click()
    page.get_by_role("button", name="Create the meeting").click()
    page.goto(dossier_url)
    page.get_by_role("button", name="Send to the commission").click()
    expect(status).to_have_text("Before the commission")

    # 5. A member of the commission records a favourable opinion with suspensive reservations.
    log_in(page, live_server, world.commission_member)
    page.goto(base + reverse("referencing:meetings"))
    page.get_by_role("link", name="Commission de référencement").click()
    page.locator("label", has_text="Favourable with suspensive reservations").click()
    page.locator("textarea[name=reservations]").fill("Qualifier l'INS avant la date.")
    page.locator("input[name=reservations_due_on]").fill((today + datetime.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Record the opinion").click()
    expect(page.locator("main")).to_contain_text("Qualifier l'INS avant la date.")

    # 6. The agency lifts them; the public attestation says the award is valid.
    log_in(page, live_server, world.analyst)
    page.goto(dossier_url)
    page.get_by_role("link", name="Manage the award").click()
    award_url = page.url
    page.get_by_role("button", name="Lift the suspensive reservations").click()
    expect(page.get_by_test_id("award-state")).to_have_text("Valid")
    page.get_by_role("link", name="Public attestation").click()
    attestation_url = page.url
    page.context.clear_cookies()
    page.goto(attestation_url)
    expect(page.get_by_test_id("attestation-state")).to_contain_text("This award is valid.")

    # 7. Any logged-in person reports a non-conformity.
    log_in(page, live_server, reporter)
    page.goto(attestation_url)
    page.get_by_role("link", name="Report a non-conformity").click()
    page.locator("#description").fill("L'INS n'est pas qualifiée dans la version 4.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator("body")).to_contain_text("your report has been sent to the agency")

    # 8. The agency opens an audit from the report and closes it with a suspension.
    log_in(page, live_server, world.analyst)
    page.goto(award_url)
    expect(page.get_by_test_id("report")).to_contain_text("L'INS n'est pas qualifiée")
    page.locator("#scope").fill("Qualification de l'INS")
    page.locator("#starts_on").fill(today.isoformat())
    page.locator("#ends_on").fill((today + datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Open the audit").click()
    page.locator("textarea[name=findings]").fill("INS non qualifiée.")
    page.locator("textarea[name=report]").fill("Non-conformité confirmée.")
    page.locator("select[name=outcome]").select_option("suspended")
    page.locator("input[name=reason]").fill("INS non qualifiée (audit).")
    page.get_by_role("button", name="Close the audit").click()
    expect(page.get_by_test_id("award-state")).to_have_text("Suspended")

    # 9. The public attestation says so plainly.
    page.context.clear_cookies()
    page.goto(attestation_url)
    expect(page.get_by_test_id("attestation-state")).to_contain_text("This award is SUSPENDED.")
    expect(page.locator("main")).to_contain_text("INS non qualifiée (audit).")

    # 10. The mails that went out, and the vendor's bell.
    to_vendor = smtp.subjects_to(world.manager.email)
    for label in (
        "Complements requested",
        "Commission decision",
        "Reservations lifted",
        "Audit opened",
        "Award suspended",
    ):
        assert any(label in subject for subject in to_vendor), (label, to_vendor)
    to_agency = smtp.subjects_to(world.analyst.email)
    for label in ("Referencing dossier submitted", "Complements answered", "Report of non-conformity"):
        assert any(label in subject for subject in to_agency), (label, to_agency)
    log_in(page, live_server, world.manager)
    page.goto(base + reverse("notifications:list"))
    expect(page.locator(".cv-notifications")).to_contain_text("Award suspended")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_test_id("notification-unread")).to_have_count(0)
    assert problems == []
