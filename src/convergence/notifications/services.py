"""Writes on notifications: `notify` (what every app calls on a workflow event), marking read,
and each person's preferences.

`notify` writes the in-app notifications in the caller's transaction (they vanish with it if it
rolls back) and sends the e-mails once it commits, through Django's mail backend. Who receives
what: the members of the organisations named (active accounts of active organisations) and the
users named, each on the channels their preferences keep for that event (both by default). The
texts are rendered in the active language (the acting person's).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.organisations import selectors as organisation_selectors
from convergence.organisations.models import Organisation, User
from convergence.organisations.rules import organisation_of

from .enums import NotificationEvent
from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)


def _organisation_ids(organisations: Iterable[Organisation | int]) -> set[int]:
    return {org if isinstance(org, int) else org.pk for org in organisations}


def recipients_for(
    *,
    organisations: Iterable[Organisation | int] = (),
    users: Iterable[User] = (),
    agency_reviewers: bool = False,
) -> list[User]:
    """Active accounts: the members of the organisations, the users, and (when asked) the
    agency's analysts and administrators; each once, by e-mail address (one query)."""
    condition = Q(pk__in=[user.pk for user in users if user is not None])
    org_ids = _organisation_ids(organisations)
    if org_ids:
        condition |= Q(memberships__organisation_id__in=org_ids, memberships__organisation__is_active=True)
    if agency_reviewers:
        condition |= Q(pk__in=organisation_selectors.agency_reviewers().values("pk"))
    return list(User.objects.filter(condition, is_active=True).distinct().order_by("email"))


def notify(
    *,
    event: NotificationEvent | str,
    title: str,
    body: str = "",
    url: str = "",
    organisations: Iterable[Organisation | int] = (),
    users: Iterable[User | None] = (),
    agency_reviewers: bool = False,
    exclude: User | None = None,
) -> list[Notification]:
    """Tell the recipients (see `recipients_for`) about an event: a notification in their bell
    and an e-mail after commit, per their preferences. `exclude` (usually the actor) is left
    out. Returns the in-app notifications written."""
    event = NotificationEvent(event)
    people = [
        person
        for person in recipients_for(
            organisations=organisations,
            users=[u for u in users if u is not None],
            agency_reviewers=agency_reviewers,
        )
        if exclude is None or person.pk != exclude.pk
    ]
    if not people:
        return []
    preferences = {
        pref.user_id: pref
        for pref in NotificationPreference.objects.filter(event=event, user__in=[p.pk for p in people])
    }
    in_app = [p for p in people if p.pk not in preferences or preferences[p.pk].in_app]
    by_email = [p for p in people if p.email and (p.pk not in preferences or preferences[p.pk].email)]
    created = Notification.objects.bulk_create(
        [Notification(recipient=p, event=event, title=title[:300], body=body, url=url) for p in in_app]
    )
    if by_email:
        messages = _emails(event=event, title=title, body=body, url=url, people=by_email)
        transaction.on_commit(lambda: _send(messages))
    return created


def _emails(
    *, event: str, title: str, body: str, url: str, people: list[User]
) -> list[EmailMultiAlternatives]:
    base_url = getattr(settings, "SITE_URL", "").rstrip("/")
    context = {
        "event": NotificationEvent(event),
        "title": title,
        "body": body,
        "link": f"{base_url}{url}" if url else "",
        "preferences_link": f"{base_url}{reverse('notifications:preferences')}",
    }
    text = render_to_string("notifications/emails/notification.txt", context)
    html = render_to_string("notifications/emails/notification.html", context)
    subject = " ".join(f"[Convergence] {title}".split())
    messages = []
    for person in people:
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email]
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages


def _send(messages: list[EmailMultiAlternatives]) -> None:
    """The event is committed whatever happens to its e-mails: a mail server down is logged (the
    bell still has the notification), never an error page for the person who acted."""
    for message in messages:
        try:
            message.send()
        except Exception:
            logger.exception("notification e-mail to %s not sent", message.to)


def notify_event(
    *,
    event: NotificationEvent | str,
    about: object,
    actor: User | None = None,
    message: str = "",
    link: tuple = (),
    organisations: Iterable[Organisation | int] | None = None,
    users: Iterable[User | None] = (),
    agency_reviewers: bool = False,
) -> list[Notification]:
    """`notify` for a workflow event on an object, in one line at the caller: the title is the
    event's label and the object's name, the link is `reverse(*link)`; without `organisations`
    the object's owning organisation is told (its ``owning_organisation``, see
    `organisations.rules.organisation_of`). The actor is not told of their own act."""
    event = NotificationEvent(event)
    if organisations is None:
        owner = organisation_of(about)
        organisations = [owner] if owner is not None else []
    url = reverse(link[0], args=link[1:]) if link else ""
    return notify(
        event=event,
        title=_("%(event)s: %(object)s") % {"event": event.label, "object": about},
        body=message,
        url=url,
        organisations=organisations,
        users=users,
        agency_reviewers=agency_reviewers,
        exclude=actor,
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    if notification.recipient_id != user.pk:  # the selector answers 404 before; never mark another's
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preferences_save(*, user: User, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """`choices`: event -> (in the application, by e-mail), for every event shown on the page."""
    for event, (in_app, email) in choices.items():
        NotificationEvent(event)
        NotificationPreference.objects.update_or_create(
            user=user, event=event, defaults={"in_app": in_app, "email": email}
        )
