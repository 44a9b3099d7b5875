"""Notification pages: the list, mark read (one or all), and the preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from convergence.organisations.http import AuthenticatedRequest

from . import selectors, services
from .enums import NotificationEvent

PAGE_SIZE = 30


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    queryset = selectors.notifications_of(request.user)
    if request.GET.get("unread"):
        queryset = queryset.filter(read_at__isnull=True)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page_obj": page, "unread_only": bool(request.GET.get("unread"))},
    )


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    notification = selectors.get_notification_or_404(request.user, pk)
    services.notification_mark_read(user=request.user, notification=notification)
    # "Open" marks read then follows the notification's link (a path of this site only).
    if (
        request.POST.get("open")
        and notification.url
        and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notification(s) marked as read.") % {"count": count})
    return redirect("notifications:list")


@login_required
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        choices = {
            event.value: (f"{event.value}-in_app" in request.POST, f"{event.value}-email" in request.POST)
            for event in NotificationEvent
        }
        services.preferences_save(user=request.user, choices=choices)
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("notifications:preferences")
    return render(
        request, "notifications/preferences.html", {"preferences": selectors.preferences_of(request.user)}
    )
