"""Reads of notifications: a person sees only their own (another's is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from convergence.organisations.models import User

from .enums import NotificationEvent
from .models import Notification, NotificationPreference


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user: User | None) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def get_notification_or_404(user: User, pk: int) -> Notification:
    try:
        return notifications_of(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def preferences_of(user: User) -> list[tuple[NotificationEvent, bool, bool]]:
    """(event, in the application, by e-mail) for every event, defaults filled in."""
    rows = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        (event, rows[event].in_app if event in rows else True, rows[event].email if event in rows else True)
        for event in NotificationEvent
    ]
