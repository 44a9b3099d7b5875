"""Pages: organisation profile, members and invitations, the switcher, my account, audit log."""

from __future__ import annotations

import csv
from typing import cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services, tenancy
from .enums import ROLES_BY_KIND, Role
from .forms import (
    AuditFilterForm,
    InvitationAcceptForm,
    InvitationForm,
    OrganisationCreateForm,
    OrganisationProfileForm,
    RoleForm,
)
from .models import Membership, Organisation, User
from .rules import assignable_roles, require_perm

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    """The logged-in user (views calling this are behind login_required)."""
    return cast(User, request.user)


def _acting_or_404(request: HttpRequest) -> Organisation:
    organisation = tenancy.acting_organisation(request)
    if organisation is None:
        raise Http404(_("You are not a member of any organisation."))
    return organisation


def _acting_with_perm(request: HttpRequest, perm: str, message: str) -> Organisation:
    """The acting organisation, when the user has `perm` on it (else the 403 page says `message`).
    For pages with no service to check it (reads) or before a form is shown."""
    organisation = _acting_or_404(request)
    require_perm(request.user, perm, organisation, message=message)
    return organisation


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(f"{message}" for messages_ in error.message_dict.values() for message in messages_)
    return " ".join(error.messages)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    try:
        organisation_id = int(request.POST.get("organisation", ""))
    except ValueError:
        raise Http404 from None
    membership = tenancy.switch_organisation(request, organisation_id)
    messages.success(
        request, _("You now act for %(organisation)s.") % {"organisation": membership.organisation}
    )
    return redirect(_safe_next(request, reverse("web:home")))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    organisation = _acting_or_404(request)
    require_perm(request.user, "organisations.view_organisation", organisation)
    counts = organisation.memberships.aggregate(members=Count("pk"))
    return render(
        request,
        "organisations/profile.html",
        {
            "organisation": organisation,
            "member_count": counts["members"],
            "can_manage": request.user.has_perm("organisations.change_organisation", organisation),
        },
    )


@login_required
def edit(request: HttpRequest) -> HttpResponse:
    organisation = _acting_with_perm(
        request,
        "organisations.change_organisation",
        _("Only the organisation's account managers may change its profile."),
    )
    form = OrganisationProfileForm(
        request.POST or None, initial={"name": organisation.name, "siren": organisation.siren}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=_user(request),
                organisation=organisation,
                name=form.cleaned_data["name"],
                siren=form.cleaned_data["siren"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The organisation's profile was saved."))
            return redirect("organisations:profile")
    return render(request, "organisations/edit.html", {"organisation": organisation, "form": form})


@login_required
def members(request: HttpRequest) -> HttpResponse:
    organisation = _acting_or_404(request)
    require_perm(request.user, "organisations.view_organisation", organisation)
    can_manage = request.user.has_perm("organisations.manage_members", organisation)
    queryset = selectors.members_of(organisation)
    role = request.GET.get("role", "")
    if role in ROLES_BY_KIND[organisation.kind]:
        queryset = queryset.filter(role=role)
    search = request.GET.get("q", "").strip()
    if search:
        queryset = queryset.filter(user__email__icontains=search)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for membership in page.object_list:
        is_self = membership.user_id == request.user.pk
        # Role lookups are cached on the user: no query per row.
        manageable = not is_self and request.user.has_perm("organisations.change_membership", membership)
        rows.append({"membership": membership, "is_self": is_self, "manageable": manageable})
    roles = assignable_roles(request.user, organisation)
    return render(
        request,
        "organisations/members.html",
        {
            "organisation": organisation,
            "page": page,
            "rows": rows,
            "can_manage": can_manage,
            "role_choices": [(r, Role(r).label) for r in ROLES_BY_KIND[organisation.kind]],
            "assignable": [(r, Role(r).label) for r in roles],
            "invitations": selectors.pending_invitations_of(organisation) if can_manage else [],
            "filter_role": role,
            "search": search,
            "query": urlencode({k: v for k, v in (("q", search), ("role", role)) if v}),
        },
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    organisation = _acting_with_perm(
        request,
        "organisations.manage_members",
        _("Only the organisation's account managers invite new members."),
    )
    form = InvitationForm(request.POST or None, roles=assignable_roles(request.user, organisation))
    if request.method == "POST" and form.is_valid():
        accept_url = request.build_absolute_uri(reverse("organisations:invitation_accept", args=["TOKEN"]))
        try:
            invitation, _token = services.invitation_create(
                actor=_user(request),
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url_template=accept_url.replace("TOKEN", "{token}"),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
            return redirect("organisations:members")
    return render(request, "organisations/invite.html", {"organisation": organisation, "form": form})


def _membership_in_acting(request: HttpRequest, pk: int) -> Membership:
    return selectors.get_membership_or_404(_acting_or_404(request), pk)


@login_required
@require_POST
def membership_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_in_acting(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("organisations:members")
    try:
        services.membership_change_role(
            actor=_user(request), membership=membership, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": membership.user, "role": Role(form.cleaned_data["role"]).label},
        )
    return redirect("organisations:members")


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_in_acting(request, pk)
    leaving = membership.user_id == request.user.pk
    try:
        services.membership_remove(actor=_user(request), membership=membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        if leaving:
            messages.success(
                request, _("You left %(organisation)s.") % {"organisation": membership.organisation}
            )
            request.session.pop(tenancy.SESSION_KEY, None)
            return redirect("organisations:account")
        messages.success(request, _("%(user)s was removed.") % {"user": membership.user})
    return redirect("organisations:members")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.get_invitation_or_404(_acting_or_404(request), pk)
    try:
        services.invitation_revoke(actor=_user(request), invitation=invitation)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return redirect("organisations:members")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link of the e-mail. A logged-in invitee accepts; someone with no account
    creates one here (their address is proved by the link); someone with an account logs in."""
    try:
        invitation = services.invitation_for_token(token)
    except ValidationError as error:
        return render(
            request, "organisations/invitation_invalid.html", {"error": _error_text(error)}, status=410
        )
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(token=token, user=request.user)
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                tenancy.switch_organisation(request, membership.organisation_id)
                messages.success(
                    request, _("Welcome to %(organisation)s.") % {"organisation": membership.organisation}
                )
                return redirect("web:home")
    elif not has_account:
        form = InvitationAcceptForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                user = services.user_create_from_invitation(
                    token=token,
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
            except ValidationError as error:
                form.add_error(
                    "password1" if "password" in _error_text(error).lower() else None, error.messages
                )
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                tenancy.switch_organisation(request, invitation.organisation_id)
                messages.success(
                    request,
                    _("Your account was created. Welcome to %(organisation)s.")
                    % {"organisation": invitation.organisation},
                )
                return redirect("web:home")
    return render(
        request,
        "organisations/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "has_account": has_account,
            "login_url": f"{reverse('account_login')}?next={request.path}",
        },
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    from allauth.mfa.models import Authenticator

    from .middleware import requires_mfa

    memberships = tenancy.memberships_of(_user(request)).order_by("organisation__name")
    return render(
        request,
        "organisations/account.html",
        {
            "memberships": memberships,
            "acting": tenancy.acting_membership(request),
            "has_totp": Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists(),
            "mfa_required": requires_mfa(request.user),
        },
    )


def _audit_entries(request: HttpRequest):
    organisation = _acting_with_perm(
        request,
        "organisations.view_audit_log",
        _("Only account managers and the national agency read the audit log."),
    )
    form = AuditFilterForm(request.GET or None)
    entries = selectors.audit_entries_visible_to(organisation)
    if form.is_bound and form.is_valid():
        entries = selectors.filter_audit_entries(entries, form.cleaned_data)
    elif form.is_bound:
        entries = entries.none()
    return organisation, form, entries


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation, form, entries = _audit_entries(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    changes = selectors.audit_entry_changes(list(page.object_list))
    rows = [{"entry": entry, "changes": changes.get(entry.pk, [])} for entry in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organisations/audit_log.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    _organisation, _form, entries = _audit_entries(request)
    writer = csv.writer(_Echo())
    header = [
        _("date"),
        _("action"),
        _("user"),
        _("acting organisation"),
        _("organisation"),
        _("object type"),
        _("object id"),
        _("object"),
        _("reason"),
    ]

    def rows():
        yield writer.writerow(header)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    csv_cell(value)
                    for value in (
                        entry.occurred_at.isoformat(),
                        entry.get_action_display(),
                        entry.user.email if entry.user else "",
                        entry.acting_organisation or "",
                        entry.owner_organisation or "",
                        entry.object_type,
                        entry.object_id,
                        entry.object_repr,
                        entry.change_reason,
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@login_required
def security_events(request: HttpRequest) -> HttpResponse:
    _acting_with_perm(
        request, "organisations.view_security_events", _("Only the national agency reads security events.")
    )
    events = selectors.security_events()
    kind = request.GET.get("kind", "")
    if kind:
        events = events.filter(kind=kind)
    from .models import SecurityEventKind

    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/security_events.html",
        {"page": page, "kinds": SecurityEventKind.choices, "kind": kind},
    )


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    acting = _acting_with_perm(
        request, "organisations.list_organisations", _("Only the national agency lists every organisation.")
    )
    queryset = Organisation.objects.annotate(member_count=Count("memberships")).order_by("name")
    kind = request.GET.get("kind", "")
    if kind:
        queryset = queryset.filter(kind=kind)
    search = request.GET.get("q", "").strip()
    if search:
        queryset = queryset.filter(name__icontains=search)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    from .enums import OrganisationKind

    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organisations/organisation_list.html",
        {
            "page": page,
            "kinds": OrganisationKind.choices,
            "kind": kind,
            "search": search,
            "query": query.urlencode(),
            "can_create": request.user.has_perm("organisations.add_organisation", acting),
        },
    )


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    _acting_with_perm(
        request, "organisations.add_organisation", _("Only the national agency creates organisations.")
    )
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation, token = services.organisation_create(
                actor=_user(request),
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                region=data["region"],
                siren=data["siren"],
                first_manager_email=data["first_manager_email"],
                accept_url_template=request.build_absolute_uri(
                    reverse("organisations:invitation_accept", args=["TOKEN"])
                ).replace("TOKEN", "{token}"),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if token:
                messages.success(
                    request,
                    _("%(organisation)s was created and its first account manager was invited by e-mail.")
                    % {"organisation": organisation},
                )
            else:
                messages.success(request, _("%(organisation)s was created.") % {"organisation": organisation})
            return redirect("organisations:list")
    return render(request, "organisations/organisation_create.html", {"form": form})
