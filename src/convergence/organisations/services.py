"""Writes on organisations, memberships and invitations.

Every function checks who acts (`actor`) against `rules.py`, refuses with a clear message
(`PermissionDenied` or `ValidationError`, nothing changed) and runs in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.lib.checks import raise_if_any

from .checks import normalise_siren, organisation_problems, organisation_uniqueness_problems
from .enums import ACCOUNT_MANAGER_ROLES, ROLES_BY_KIND, OrganisationKind, Role
from .models import Invitation, Membership, Organisation, User
from .rules import ROLE_RANK, assignable_roles, manages_accounts, require_perm
from .selectors import existing_organisation_slots

INVITATION_TTL = timedelta(days=int(getattr(settings, "INVITATION_TTL_DAYS", 7)))


def _deny(message: str) -> PermissionDenied:
    return PermissionDenied(message)


def _check_organisation(
    *, kind: str, name: str, region: str, siren: str, code: str | None = None, exclude_pk: int | None = None
) -> None:
    """The organisation rules (`checks`), the uniqueness ones against the database."""
    problems = organisation_problems(kind=kind, name=name, region=region, siren=siren, code=code)
    problems += organisation_uniqueness_problems(
        kind=kind, region=region, existing=existing_organisation_slots(exclude_pk=exclude_pk)
    )
    raise_if_any(problems)


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    region: str = "",
    siren: str = "",
    first_manager_email: str = "",
    accept_url_template: str = "",
) -> tuple[Organisation, str | None]:
    """Create an organisation (agency analysts and administrators, or a command with no actor).

    With `first_manager_email`, invites its first account manager (mandataire for a vendor,
    administrateur otherwise) and returns the invitation token (None otherwise).
    """
    if actor is not None:
        require_perm(
            actor,
            "organisations.add_organisation",
            message=_("Only the national agency creates organisations."),
        )
    siren = normalise_siren(siren)
    _check_organisation(kind=kind, name=name, region=region, siren=siren, code=code)
    organisation = Organisation(code=code, name=name.strip(), kind=kind, region=region, siren=siren)
    organisation.full_clean()
    organisation.save()
    token = None
    if first_manager_email:
        role = Role.MANDATAIRE if kind == OrganisationKind.VENDOR else Role.ADMINISTRATEUR
        invitation, token = _invitation_create(
            organisation=organisation, email=first_manager_email, role=role, invited_by=actor
        )
        _send_invitation(invitation, token, accept_url_template)
    return organisation, token


@transaction.atomic
def organisation_update(
    *, actor: User, organisation: Organisation, name: str, siren: str = ""
) -> Organisation:
    """Change an organisation's name (and a vendor's SIREN). Its kind, code and region stay."""
    require_perm(
        actor,
        "organisations.change_organisation",
        organisation,
        message=_("Only the organisation's account managers may change its profile."),
    )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    siren = normalise_siren(siren)
    _check_organisation(
        kind=organisation.kind, name=name, region=organisation.region, siren=siren, exclude_pk=organisation.pk
    )
    organisation.name = name.strip()
    organisation.siren = siren
    organisation.full_clean()
    organisation.save()
    return organisation


def _locked_memberships(organisation: Organisation) -> list[Membership]:
    # Lock every membership of the organisation: two managers demoting each other at the same
    # time must not leave the organisation without any.
    return list(Membership.objects.select_for_update().filter(organisation=organisation))


def _other_managers(memberships: list[Membership], membership: Membership) -> int:
    return sum(1 for m in memberships if m.pk != membership.pk and m.role in ACCOUNT_MANAGER_ROLES)


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    organisation = membership.organisation
    memberships = _locked_memberships(organisation)
    membership = next((m for m in memberships if m.pk == membership.pk), None)  # type: ignore[assignment]
    if membership is None:
        raise ValidationError(_("This person is no longer a member."))
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError({"role": _("This role does not exist for this kind of organisation.")})
    if role == membership.role:
        return membership
    if not actor.has_perm("organisations.change_membership", membership):
        if manages_accounts(actor, organisation):
            raise _deny(_("You cannot change the role of someone whose role ranks above yours."))
        raise _deny(_("Only account managers change roles."))
    if membership.user_id == actor.pk:
        if ROLE_RANK[role] > ROLE_RANK[membership.role]:
            raise _deny(_("You cannot raise your own role; ask another account manager."))
    else:
        if role not in assignable_roles(actor, organisation):
            raise _deny(_("You cannot grant a role that ranks above your own."))
    if (
        membership.role in ACCOUNT_MANAGER_ROLES
        and role not in ACCOUNT_MANAGER_ROLES
        and not _other_managers(memberships, membership)
    ):
        raise ValidationError(
            _("The organisation must keep at least one account manager: appoint another first.")
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    organisation = membership.organisation
    memberships = _locked_memberships(organisation)
    membership = next((m for m in memberships if m.pk == membership.pk), None)  # type: ignore[assignment]
    if membership is None:
        raise ValidationError(_("This person is no longer a member."))
    if not actor.has_perm("organisations.remove_membership", membership):
        if manages_accounts(actor, organisation):
            raise _deny(_("You cannot remove someone whose role ranks above yours."))
        raise _deny(_("Only account managers remove members."))
    if membership.role in ACCOUNT_MANAGER_ROLES and not _other_managers(memberships, membership):
        raise ValidationError(
            _("The organisation must keep at least one account manager: appoint another first.")
        )
    membership.delete()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by: User | None
) -> tuple[Invitation, str]:
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member of the organisation.")})
    now = timezone.now()
    # A new invitation replaces a pending one for the same address (a "resend").
    Invitation.objects.filter(
        organisation=organisation, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        expires_at=now + INVITATION_TTL,
    )
    return invitation, token


@transaction.atomic
def invitation_create(
    *, actor: User, organisation: Organisation, email: str, role: str, accept_url_template: str = ""
) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and its token (only the hash is kept).

    `accept_url_template` is an absolute URL containing `{token}`; the e-mail is sent after the
    transaction commits, so a rolled-back invitation sends nothing.
    """
    require_perm(
        actor,
        "organisations.manage_members",
        organisation,
        message=_("Only the organisation's account managers invite new members."),
    )
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError({"role": _("This role does not exist for this kind of organisation.")})
    if role not in assignable_roles(actor, organisation):
        raise _deny(_("You cannot grant a role that ranks above your own."))
    invitation, token = _invitation_create(
        organisation=organisation, email=email, role=role, invited_by=actor
    )
    _send_invitation(invitation, token, accept_url_template)
    return invitation, token


def _send_invitation(invitation: Invitation, token: str, accept_url_template: str) -> None:
    if not accept_url_template:
        return
    url = accept_url_template.replace("{token}", token)
    context = {"invitation": invitation, "url": url, "actor": invitation.invited_by}
    subject = _("Invitation to join %(organisation)s on Convergence") % {
        "organisation": invitation.organisation.name
    }
    body = render_to_string("organisations/email/invitation.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], fail_silently=False)
    )


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link points to, or a ValidationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Log in with your account."))
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was withdrawn. Ask the organisation for a new one."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask the organisation for a new one."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = invitation_for_token(token)
    # Lock, then check again: two clicks on the same link must not both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Log in with your account."))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s; you are logged in as %(current)s.")
            % {"email": invitation.email, "current": user.email}
        )
    if Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        raise ValidationError(_("You are already a member of this organisation."))
    membership = Membership(user=user, organisation=invitation.organisation, role=invitation.role)
    # The person accepting is not logged in yet: name them in the audit trail, not "system".
    membership._history_user = user  # type: ignore[attr-defined]
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    require_perm(
        actor,
        "organisations.manage_members",
        invitation.organisation,
        message=_("Only the organisation's account managers withdraw invitations."),
    )
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been accepted; remove the member instead."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def user_create_from_invitation(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create the account of an invited person who has none, with the invited address already
    verified (the link proves they received the e-mail), and accept the invitation."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.password_validation import validate_password

    invitation = invitation_for_token(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            _("An account already exists for this address: log in to accept the invitation.")
        )
    user = User(
        email=invitation.email, username=invitation.email[:150], first_name=first_name, last_name=last_name
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
    invitation_accept(token=token, user=user)
    return user
