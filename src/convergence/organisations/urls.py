from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("modifier/", views.edit, name="edit"),
    path("changer/", views.switch, name="switch"),
    path("membres/", views.members, name="members"),
    path("membres/inviter/", views.invite, name="invite"),
    path("membres/<int:pk>/role/", views.membership_role, name="membership_role"),
    path("membres/<int:pk>/retirer/", views.membership_remove, name="membership_remove"),
    path("invitations/<int:pk>/retirer/", views.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("mon-compte/", views.account, name="account"),
    path("journal/", views.audit_log, name="audit_log"),
    path("journal.csv", views.audit_log_csv, name="audit_log_csv"),
    path("securite/", views.security_events, name="security_events"),
    path("toutes/", views.organisation_list, name="list"),
    path("creer/", views.organisation_create, name="create"),
]

ACCESS_POLICY = {
    "profile": "member",
    "edit": "account-manager",
    "switch": "authenticated",
    "members": "member",
    "invite": "account-manager",
    "membership_role": "account-manager",
    "membership_remove": "account-manager",  # others' memberships; anyone may leave (their own)
    "invitation_revoke": "account-manager",
    "invitation_accept": "public",  # the token in the link is the credential
    "account": "authenticated",
    "audit_log": "account-manager-or-agency",  # account managers of the acting organisation; agency for all
    "audit_log_csv": "account-manager-or-agency",
    "security_events": "agency",
    "list": "agency",
    "create": "agency",
}

# URLs of third-party apps (they have no urls.py of ours). Key: URL name, with its namespace.
EXTERNAL_ACCESS_POLICY = {
    # django-allauth: the login, sign-up, password reset and verification pages are public by
    # nature; the account management pages require a login (allauth redirects to it).
    "account_signup": "public",
    "account_login": "public",
    "account_logout": "public",
    "account_reauthenticate": "authenticated",
    "account_change_password": "authenticated",
    "account_set_password": "authenticated",
    "account_inactive": "public",
    "account_email": "authenticated",
    "account_email_verification_sent": "public",
    "account_confirm_email": "public",
    "account_reset_password": "public",
    "account_reset_password_done": "public",
    "account_reset_password_from_key": "public",
    "account_reset_password_from_key_done": "public",
    "account_login_code_confirm": "public",
    "account_request_login_code": "public",
    "account_confirm_login_code": "login-step",
    "account_confirm_password_reset_code": "public",
    "account_reset_password_code": "public",
    "account_email_verification_code": "public",
    "mfa_index": "authenticated",
    "mfa_authenticate": "login-step",  # second step of a login in progress
    "mfa_reauthenticate": "authenticated",
    "mfa_activate_totp": "authenticated",
    "mfa_deactivate_totp": "authenticated",
    "mfa_view_recovery_codes": "authenticated",
    "mfa_generate_recovery_codes": "authenticated",
    "mfa_download_recovery_codes": "authenticated",
    "mfa_trust": "public",
    "usersessions_list": "authenticated",
    "socialaccount_signup": "login-step",
    "socialaccount_login_cancelled": "public",
    "socialaccount_login_error": "login-step",
    "socialaccount_connections": "authenticated",
    "openid_connect_login": "public",
    "openid_connect_callback": "login-step",
    "oidc_login": "public",
    "oidc_callback": "login-step",
    # Django
    "set_language": "public",
    "javascript-catalog": "public",
    "admin:login": "public",
    "admin:logout": "public",
    "admin:*": "staff",  # Django admin: staff accounts only (its own login)
}
