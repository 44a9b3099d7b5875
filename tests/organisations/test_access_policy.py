"""The access policy, executed: every URL of the resolver, requested as every role, answers what
its `ACCESS_POLICY` entry promises (docs/development.md, "Access policy table").

For each (URL, role) case the URL's kwargs are filled from a small world (`World`, built once per
module): the role's own organisation's objects, except for `other_member` (the account manager of
another vendor), who asks for the first vendor's objects and must get 404. A refused request, of
any method, must change nothing in the database (a snapshot of every table of ours, before and
after). REST API endpoints are requested with each role's personal access token.

A URL without a policy entry, a policy value without a rule here, a URL of ours whose kwargs have
no builder in `KWARGS`, or a role without an expected answer fails the suite. A case the views do
not honour yet is listed in `DEFECTS` and runs as a strict xfail: once the view is fixed the case
passes, which fails the suite until its entry is removed.

URLs of third-party modules (allauth, the admin, i18n) are looked up in `EXTERNAL_ACCESS_POLICY`
of `convergence.organisations.urls` (key: the name with its namespace, or `namespace:*`).
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from convergence.organisations.urls import EXTERNAL_ACCESS_POLICY
from tests import factories as f
from tests.api.conftest import REFERENTIAL_YAML as API_REFERENTIAL_YAML
from tests.organisations import policy_areas

# --- The walk ----------------------------------------------------------------------------------------

ROOT = get_resolver().urlconf_module


@dataclass(frozen=True)
class Route:
    full_name: str  # with its namespace: "catalog:detail"
    name: str
    pattern: URLPattern
    module: ModuleType | None  # the nearest urls module of ours that declares it
    params: tuple[str, ...]  # the URL's parameters, those of the enclosing includes first

    @property
    def ours(self) -> bool:
        return self.module is not None and self.module.__name__.startswith("convergence.")

    @property
    def is_api(self) -> bool:
        return self.full_name.startswith("api:") and self.policy == "token"

    @property
    def policy(self) -> str | None:
        return policy_for(self)[0]


def walk(
    resolver: URLResolver,
    namespace: str | None = None,
    policy_module: ModuleType | None = None,
    params: tuple[str, ...] = (),
) -> Iterator[tuple[str, URLPattern, ModuleType | None, tuple[str, ...]]]:
    for entry in resolver.url_patterns:
        own_params = tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            child_ns = namespace
            if entry.namespace:
                child_ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            module = entry.urlconf_module
            # A router or admin site gives a list, not a module: it inherits the enclosing one.
            # (The admin site, mounted in the root urls, is third-party: it inherits nothing.)
            if isinstance(module, ModuleType):
                child_policy = module
            else:
                child_policy = policy_module if policy_module is not ROOT else None
            yield from walk(entry, child_ns, child_policy, params + own_params)
        elif isinstance(entry, URLPattern) and entry.name:
            full_name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield full_name, entry, policy_module, params + own_params


def policy_for(route: Route) -> tuple[str | None, str]:
    if route.ours:
        module = route.module
        return getattr(module, "ACCESS_POLICY", {}).get(route.name), f"ACCESS_POLICY of {module.__name__}"
    namespace = route.full_name.rsplit(":", 1)[0] if ":" in route.full_name else None
    value = EXTERNAL_ACCESS_POLICY.get(route.full_name) or (
        EXTERNAL_ACCESS_POLICY.get(f"{namespace}:*") if namespace else None
    )
    return value, "convergence.organisations.urls.EXTERNAL_ACCESS_POLICY"


def all_routes() -> list[Route]:
    seen: dict[str, Route] = {}
    for full_name, pattern, module, params in walk(get_resolver()):
        # The first pattern of a name is the one `reverse` builds (format-suffix twins share it).
        seen.setdefault(full_name, Route(full_name, pattern.name or "", pattern, module, params))
    return sorted(seen.values(), key=lambda r: r.full_name)


ROUTES = all_routes()

# --- Roles and outcomes ------------------------------------------------------------------------------

# Every role a case is built for. Adding one here fails `test_every_route_has_an_answer_for_every_role`
# until `expected` answers for it.
ROLES = (
    "anonymous",
    "employee",  # vendor salarié
    "account_manager",  # vendor mandataire
    "regional_contributor",  # GRADeS contributeur
    "regional_manager",  # ARS administrateur
    "agency_analyst",  # national agency analyste
    "other_member",  # mandataire of another vendor, asking for the first vendor's objects
)

# Role -> (organisation key in World.orgs, role in it).
ROLE_MEMBERSHIPS: dict[str, tuple[str, str]] = {
    "employee": ("vendor", "salarie"),
    "account_manager": ("vendor", "mandataire"),
    "regional_contributor": ("grades", "contributeur"),
    "regional_manager": ("ars", "administrateur"),
    "agency_analyst": ("agency", "analyste"),
    "other_member": ("other_vendor", "mandataire"),
}

# Whose objects fill a role's URL kwargs: its own organisation's, except other_member (the first
# vendor's: another organisation's) and the anonymous visitor (the first vendor's).
OBJECTS_OF = {
    "anonymous": "vendor",
    "employee": "vendor",
    "account_manager": "vendor",
    "regional_contributor": "grades",
    "regional_manager": "ars",
    "agency_analyst": "agency",
    "other_member": "vendor",
}

ALLOW, LOGIN, DENY, HIDE = "allowed", "login", "403", "404"
# A step of a login or sign-up in progress (second factor, code, provider callback): with none in
# progress, an anonymous visitor is sent to the login page; a logged-in user on their way (the
# login page, or wherever they were going).
LOGIN_STEP = "login page or on their way"

LOGGED_IN = set(ROLES) - {"anonymous"}
VENDOR_ROLES = {"employee", "account_manager", "other_member"}
REGIONAL_ROLES = {"regional_contributor", "regional_manager"}
MANAGER_ROLES = {"account_manager", "regional_manager", "other_member"}

# Policy value -> the logged-in roles it lets in (for "public", "authenticated", "staff": see
# `expected`).
GRANTED: dict[str, set[str]] = {
    "member": LOGGED_IN,
    "declarant": VENDOR_ROLES | REGIONAL_ROLES,
    "vendor": VENDOR_ROLES,
    "region-or-agency": REGIONAL_ROLES | {"agency_analyst"},
    "account-manager": MANAGER_ROLES,
    "account-manager-or-agency": MANAGER_ROLES | {"agency_analyst"},
    "agency": {"agency_analyst"},
    # REST API: any token reads what its organisation may see; writes are the declarants'.
    "token": LOGGED_IN,
    "token-write": VENDOR_ROLES | REGIONAL_ROLES,
}

# What a URL's kwargs name: None (nothing an organisation owns), "own" (an object of the role's
# own organisation, the agency included) or "subject" (a product or service, or what hangs on one;
# the agency owns none and is given the first vendor's).
Scope = str | None


def expected(policy: str, role: str, *, scope: Scope) -> str:
    """What the policy value promises `role`."""
    if role != "anonymous" and role not in ROLE_MEMBERSHIPS:
        raise AssertionError(f"no rule for the role {role!r} (add it to ROLE_MEMBERSHIPS and OBJECTS_OF)")
    if policy == "public":
        return ALLOW
    if role == "anonymous":
        return LOGIN
    if policy == "login-step":
        return LOGIN_STEP
    if policy == "staff":  # none of the roles is staff: the admin sends them to its own login
        return LOGIN
    if policy == "authenticated":
        return ALLOW
    if role == "other_member" and scope is not None:
        return HIDE  # another organisation's object: not even its existence is told
    if policy not in GRANTED:
        raise AssertionError(f"no rule for the policy value {policy!r}")
    if role in GRANTED[policy]:
        return ALLOW
    if role == "agency_analyst" and scope == "subject":
        return HIDE  # the agency sees every subject but changes none: outside its organisation
    return DENY


POLICY_VALUES = {"public", "login-step", "authenticated", "staff", *GRANTED} - {"token-write"}

# --- The world ---------------------------------------------------------------------------------------

# The API tests' small referential under its own code.
REFERENTIAL_YAML = API_REFERENTIAL_YAML.replace("code: doctrine-api", "code: doctrine-policy")

INVITATION_TOKENS = {
    key: f"invitation-of-{key}" for key in ("vendor", "other_vendor", "grades", "ars", "agency")
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class OrgWorld:
    """One organisation's objects (the agency has no subjects, hence no assessments)."""

    organisation: Any
    colleague_membership: Any
    invitation: Any
    import_run: Any
    report_run: Any = None
    subject: Any = None
    draft: Any = None
    submitted: Any = None
    evidence: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # objects an area adds (policy_areas/)


@dataclass
class World:
    campaign: Any
    referential_code: str
    published: Any = None
    orgs: dict[str, OrgWorld] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)  # role -> user
    raw_tokens: dict[str, str] = field(default_factory=dict)  # role -> raw API token
    token_pks: dict[str, int] = field(default_factory=dict)  # role -> its token's pk
    extra: dict[str, Any] = field(default_factory=dict)  # objects an area adds (policy_areas/)

    def objects(self, role: str) -> OrgWorld:
        return self.orgs[OBJECTS_OF[role]]

    def subject_objects(self, role: str) -> OrgWorld:
        """The agency owns no subject: it is shown the first vendor's (it sees every one)."""
        own = self.objects(role)
        return own if own.subject is not None else self.orgs["vendor"]


def _verified_user(email: str):
    user = f.UserFactory(email=email, username=email.replace("@", "-at-"))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _subject_objects(world: World, org_world: OrgWorld, key: str) -> None:
    from convergence.assessments.models import Answer, Assessment, Evidence
    from convergence.catalog.models import Subject

    org = org_world.organisation
    kind = "product" if org.kind == "vendor" else "service"
    region = org.region if kind == "service" else ""
    category = "dpi" if kind == "product" else "ror"
    axes = list(world.campaign.referential.axes.order_by("position"))
    subject, submitted_subject = (
        Subject.objects.create(
            code=f"subject-{key}{suffix}",
            kind=kind,
            name=f"Subject {key}{suffix}",
            organisation=org,
            type_or_category=category,
            region=region,
        )
        for suffix in ("", "-2")
    )
    org_world.subject = subject
    org_world.draft = Assessment.objects.create(campaign=world.campaign, subject=subject)
    answer = Answer.objects.create(assessment=org_world.draft, axis=axes[0], level=1)
    org_world.evidence = Evidence.objects.create(
        answer=answer,
        file=SimpleUploadedFile(f"proof-{key}.pdf", PDF),
        original_name=f"proof-{key}.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    # Complete and submitted: what the agency reviews.
    org_world.submitted = Assessment.objects.create(
        campaign=world.campaign, subject=submitted_subject, status="submitted", submitted_at=timezone.now()
    )
    for axis in axes:
        Answer.objects.create(assessment=org_world.submitted, axis=axis, level=2)


def build_world() -> World:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from convergence.analytics.models import ReportRun
    from convergence.analytics.services import report_publish
    from convergence.api.services import token_create
    from convergence.assessments.models import Campaign
    from convergence.exchange.models import ImportRun
    from convergence.organisations.models import Invitation
    from convergence.referential.services import referential_import

    referential = referential_import(source=REFERENTIAL_YAML).referential
    campaign = Campaign.objects.create(
        code="2020-S2",
        title="Campagne 2020 S2",
        referential=referential,
        opens_on=datetime.date(2020, 9, 1),
        closes_on=datetime.date(2030, 12, 15),
        status="open",
    )
    world = World(campaign=campaign, referential_code=referential.code)
    organisations = {
        "vendor": f.OrganisationFactory(code="acme", name="Acme Santé"),
        "other_vendor": f.OrganisationFactory(code="globex", name="Globex Santé", siren="552100554"),
        "grades": f.OrganisationFactory(code="grades-76", name="GRADeS 76", grades=True),
        "ars": f.OrganisationFactory(code="ars-76", name="ARS 76", ars=True),
        "agency": f.OrganisationFactory(code="ans", name="Agence", agency=True),
    }
    for role, (key, role_in_org) in ROLE_MEMBERSHIPS.items():
        user = _verified_user(f"{role.replace('_', '-')}@{organisations[key].code}.example")
        f.MembershipFactory(user=user, organisation=organisations[key], role=role_in_org)
        world.users[role] = user
        # Two-factor authentication set up, so that its management pages exist for every role.
        TOTP.activate(user, generate_totp_secret())
        RecoveryCodes.activate(user)
        token, world.raw_tokens[role] = token_create(
            user=user, organisation=organisations[key], name="policy"
        )
        world.token_pks[role] = token.pk
    for key, org in organisations.items():
        colleague = _verified_user(f"colleague@{org.code}.example")
        colleague_role = {"vendor": "salarie", "agency": "analyste"}.get(org.kind, "contributeur")
        org_world = OrgWorld(
            organisation=org,
            colleague_membership=f.MembershipFactory(user=colleague, organisation=org, role=colleague_role),
            invitation=Invitation.objects.create(
                organisation=org,
                email=f"invited@{org.code}.example",
                role=colleague_role,
                token_hash=hashlib.sha256(INVITATION_TOKENS[key].encode()).hexdigest(),
                expires_at=timezone.now() + datetime.timedelta(days=7),
            ),
            import_run=ImportRun.objects.create(
                source=ImportRun.Source.WEB,
                user=colleague,
                organisation=org,
                restricted=org.kind != "agency",
                file_name="data.csv",
                file_format="csv",
                status=ImportRun.Status.PREVIEWED,
            ),
        )
        if org.kind != "agency":
            _subject_objects(world, org_world, key)
        world.orgs[key] = org_world
        # A dashboard computation read by this organisation.
        org_world.report_run = ReportRun.objects.create(
            params_key=f"policy-{key}",
            params={
                "report": {"campaign": campaign.code, "scope": "services", "region": org.region or None},
                "reader": org.pk,
            },
            data_version="policy",
            status="running",
        )
    world.published = report_publish(campaign_code=campaign.code, scope="services", region=None, user=None)
    for area in AREAS:
        if hasattr(area, "build"):
            area.build(world)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once; every test runs inside it in a savepoint (pytest-django's `db`), and the
    whole world is rolled back at the end of the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


# --- URL kwargs --------------------------------------------------------------------------------------

Kwargs = Callable[[World, str], dict[str, Any]]


def _subject(w: World, role: str) -> dict[str, Any]:
    return {"pk": w.subject_objects(role).subject.pk}


def _draft(w: World, role: str) -> dict[str, Any]:
    return {"pk": w.subject_objects(role).draft.pk}


def _submitted(w: World, role: str) -> dict[str, Any]:
    return {"pk": w.subject_objects(role).submitted.pk}


def _evidence(w: World, role: str) -> dict[str, Any]:
    objects = w.subject_objects(role)
    return {"pk": objects.draft.pk, "evidence_pk": objects.evidence.pk}


def _import_run(w: World, role: str) -> dict[str, Any]:
    return {"token": w.objects(role).import_run.token}


def _snapshot_kwargs(w: World, role: str) -> dict[str, Any]:
    return {"pk": w.published.pk}


def _campaign(w: World, role: str) -> dict[str, Any]:
    return {"pk": w.campaign.pk}


# URL name -> (kwargs builder, whether the URL names an organisation's object: then another
# organisation's member gets 404). Every URL of ours with parameters must have an entry.
KWARGS: dict[str, tuple[Kwargs, Scope]] = {
    "analytics:run_status": (lambda w, role: {"pk": w.objects(role).report_run.pk}, "own"),
    "analytics:observatory_detail_short": (_snapshot_kwargs, None),
    "analytics:observatory_detail": (lambda w, role: {"pk": w.published.pk, "slug": w.published.slug}, None),
    "analytics:observatory_download": (lambda w, role: {"pk": w.published.pk, "fmt": "json"}, None),
    "analytics:observatory_table": (lambda w, role: {"pk": w.published.pk, "table": "summary"}, None),
    "api:token_revoke": (lambda w, role: {"pk": w.token_pks.get(role, w.token_pks["employee"])}, "own"),
    "api:referential-detail": (lambda w, role: {"code": w.referential_code}, None),
    "api:organisation-detail": (lambda w, role: {"pk": w.objects(role).organisation.pk}, "own"),
    "api:subject-detail": (_subject, "subject"),
    "api:campaign-detail": (lambda w, role: {"code": w.campaign.code}, None),
    "api:campaign-report": (lambda w, role: {"code": w.campaign.code}, None),
    "api:assessment-detail": (_draft, "subject"),
    "api:assessment-answer": (lambda w, role: {**_draft(w, role), "axis": "INS"}, "subject"),
    "api:assessment-submit": (_draft, "subject"),
    "assessments:questionnaire": (_draft, "subject"),
    "assessments:answer_save": (lambda w, role: {**_draft(w, role), "code": "INS"}, "subject"),
    "assessments:evidence_add": (lambda w, role: {**_draft(w, role), "code": "INS"}, "subject"),
    "assessments:evidence_download": (_evidence, "subject"),
    "assessments:evidence_delete": (_evidence, "subject"),
    "assessments:submit": (_draft, "subject"),
    "assessments:fiche": (_draft, "subject"),
    "assessments:fiche_pdf": (_draft, "subject"),
    "assessments:review": (_submitted, "subject"),
    "assessments:validate": (_submitted, "subject"),
    "assessments:return": (_submitted, "subject"),
    "campaigns:detail": (_campaign, None),
    "campaigns:edit": (_campaign, None),
    "campaigns:open": (_campaign, None),
    "campaigns:close": (_campaign, None),
    "catalog:detail": (_subject, "subject"),
    "catalog:edit": (_subject, "subject"),
    "catalog:retire": (_subject, "subject"),
    "catalog:reactivate": (_subject, "subject"),
    "catalog:duplicate": (_subject, "subject"),
    "exchange:import_detail": (_import_run, "own"),
    "exchange:import_status": (_import_run, "own"),
    "exchange:import_confirm": (_import_run, "own"),
    "exchange:import_cancel": (_import_run, "own"),
    "organisations:membership_role": (lambda w, role: {"pk": w.objects(role).colleague_membership.pk}, "own"),
    "organisations:membership_remove": (
        lambda w, role: {"pk": w.objects(role).colleague_membership.pk},
        "own",
    ),
    "organisations:invitation_revoke": (lambda w, role: {"pk": w.objects(role).invitation.pk}, "own"),
    # The link's token is the credential: an unknown one is a page saying so.
    "organisations:invitation_accept": (lambda w, role: {"token": INVITATION_TOKENS["vendor"]}, None),
    "referential:detail": (lambda w, role: {"code": w.referential_code}, None),
    "oidc_login": (lambda w, role: {"provider_id": "policy"}, None),
    "oidc_callback": (lambda w, role: {"provider_id": "policy"}, None),
}

# URL name -> query string builder: what a page needs to answer more than "bad request".
QUERY: dict[str, Callable[[World, str], str]] = {
    "api:campaign-report": lambda w, role: "scope=services",
    "exchange:template": lambda w, role: f"campaign={w.campaign.code}&format=csv",
    "exchange:export_download": lambda w, role: f"campaign={w.campaign.code}&format=json",
}

# URL name -> POST data: a refused POST must carry what an accepted one would, so that "nothing
# changed" means the refusal held, not that the form was empty.
DATA: dict[str, Callable[[World, str], dict[str, Any]]] = {
    "api:subject-list": lambda w, role: {
        "code": "new-subject",
        "kind": "product",
        "name": "New",
        "type_or_category": "dpi",
    },
    "organisations:switch": lambda w, role: {"organisation": w.objects(role).organisation.pk},
    "organisations:edit": lambda w, role: {"name": "Renamed", "siren": "732829320"},
    "organisations:invite": lambda w, role: {"email": "new@example.org", "role": "salarie"},
    "organisations:membership_role": lambda w, role: {
        "role": "representant" if w.objects(role).organisation.kind == "vendor" else "administrateur"
    },
    "organisations:create": lambda w, role: {
        "code": "new-org",
        "name": "New",
        "kind": "vendor",
        "siren": "732829320",
    },
    "catalog:create": lambda w, role: {"code": "new-subject", "name": "New", "type_or_category": "dpi"},
    "catalog:edit": lambda w, role: {"name": "Renamed", "type_or_category": "dpi", "status": "active"},
    "catalog:duplicate": lambda w, role: {"platform": "iOS"},
    "assessments:answer_save": lambda w, role: {
        "level": "3",
        "version": str(w.subject_objects(role).draft.version),
    },
    "assessments:submit": lambda w, role: {"version": str(w.subject_objects(role).draft.version)},
    "assessments:validate": lambda w, role: {"version": str(w.subject_objects(role).submitted.version)},
    "assessments:return": lambda w, role: {
        "reason": "Incomplete",
        "version": str(w.subject_objects(role).submitted.version),
    },
    "campaigns:edit": lambda w, role: {"title": "Renamed"},
    "analytics:publish": lambda w, role: {
        "campaign": w.campaign.code,
        "scope": "services",
        "region": "",
        "min_cell": 5,
    },
}

# Third-party URLs: a placeholder per parameter (the answer does not depend on its value).
PLACEHOLDERS: dict[str, list[Any]] = {
    "object_id": ["1"],
    "content_type_id": [1],
    "app_label": ["organisations", "auth", "account", "catalog"],
    "key": ["nokey"],
    "uidb36": ["1"],
    "provider_id": ["policy"],
    "url": ["x"],
}


# Each module of `policy_areas` (one per area of the product, so that areas are added without
# touching this file) may define `build(world)` (adds its objects to `world.extra` or to an
# `OrgWorld.extra`) and its own `KWARGS`, `QUERY` and `DATA` entries, merged here.
AREAS = [
    importlib.import_module(f"tests.organisations.policy_areas.{info.name}")
    for info in pkgutil.iter_modules(policy_areas.__path__)
]
for _area in AREAS:
    for _name, _table in (("KWARGS", KWARGS), ("QUERY", QUERY), ("DATA", DATA)):
        for _key, _value in getattr(_area, _name, {}).items():
            assert _key not in _table, f"{_area.__name__}.{_name}: {_key} is already defined"
            _table[_key] = _value  # type: ignore[index]


def route_kwargs(route: Route, w: World, role: str) -> dict[str, Any]:
    if route.full_name in KWARGS:
        return KWARGS[route.full_name][0](w, role)
    return {}


def route_url(route: Route, kwargs: dict[str, Any]) -> str:
    if kwargs or route.full_name in KWARGS:
        return reverse(route.full_name, kwargs=kwargs)
    names = route.params
    if not names:
        return reverse(route.full_name)
    candidates: list[dict[str, Any]] = [{}]
    for name in names:
        candidates = [{**c, name: v} for c in candidates for v in PLACEHOLDERS.get(name, ["x"])]
    for candidate in candidates:
        try:
            return reverse(route.full_name, kwargs=candidate)
        except NoReverseMatch:
            continue
    raise AssertionError(f"{route.full_name}: no placeholder fits {names}; add one to PLACEHOLDERS")


def route_scope(route: Route) -> Scope:
    return KWARGS.get(route.full_name, (None, None))[1]


# --- Requests and answers ----------------------------------------------------------------------------

UNSAFE = ("post", "put", "patch", "delete")
# Tables a refused request may write: the security log records the refusal itself.
UNWATCHED_MODELS = {"organisations.securityevent"}
UNWATCHED_FIELDS = {"last_login", "last_used_at"}


def snapshot() -> dict[str, str]:
    """A digest of every row of every table of ours (and of the accounts): what must not move."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in UNWATCHED_MODELS:
            continue
        if not (
            model.__module__.startswith("convergence.") or label in {"auth.user", "account.emailaddress"}
        ):
            continue
        names = [fld.attname for fld in model._meta.concrete_fields if fld.attname not in UNWATCHED_FIELDS]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        digests[label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def client_for(w: World, role: str, route: Route) -> Client:
    from rest_framework.test import APIClient

    if route.is_api:
        api_client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if role != "anonymous":
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {w.raw_tokens[role]}")
        return api_client
    web_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        web_client.force_login(w.users[role])
    return web_client


def api_methods(route: Route) -> list[str]:
    actions = getattr(route.pattern.callback, "actions", None) or {"get": "view"}
    return [method for method in ("get", "post", "put", "patch", "delete") if method in actions]


def outcome(route: Route, response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        login = reverse("admin:login") if route.full_name.startswith("admin:") else reverse("account_login")
        return (
            LOGIN if response["Location"].startswith(login) or f"{login}?" in response["Location"] else ALLOW
        )
    if status in (401,) or (
        status == 403 and route.is_api and "HTTP_AUTHORIZATION" not in response.wsgi_request.META
    ):
        return LOGIN
    if status == 403:
        return DENY
    if status == 404:
        return HIDE
    if 200 <= status < 300:
        return ALLOW
    # A write that passed the access checks and was refused for its content (empty form, missing
    # If-Match header...).
    if status in (400, 409, 412, 422, 428) and response.wsgi_request.method != "GET":
        return ALLOW
    return f"status {status}"


def send(client: Client, method: str, url: str, route: Route, data: dict[str, Any]):
    kwargs: dict[str, Any] = {}
    if method in ("post", "put", "patch"):
        kwargs["data"] = data
        if route.is_api:
            kwargs["format"] = "json"
    return getattr(client, method)(url, **kwargs)


# A configured OpenID Connect provider (never contacted: no case follows the login to it).
OIDC_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "policy",
                "name": "Policy",
                "client_id": "policy-client",
                "secret": "s3cret",
                "settings": {"server_url": "https://idp.invalid"},
            }
        ],
    }
}


# --- Where reality refines the policy value ----------------------------------------------------------

# (URL name, role) -> (answer, why). Answers that differ from the generic rule of the URL's value
# on purpose; keep it short, and prefer a better policy value.
REFINEMENTS: dict[tuple[str, str], tuple[str, str]] = {
    **{
        ("analytics:run_status", role): (HIDE, "a vendor has no dashboard: its computations are not found")
        for role in ("employee", "account_manager")
    },
}

# (URL name, role) -> what the view does wrong. Each runs as a strict xfail (see the docstring).
DEFECTS: dict[tuple[str, str], str] = {}


def expected_for(route: Route, role: str) -> str:
    if (route.full_name, role) in REFINEMENTS:
        return REFINEMENTS[route.full_name, role][0]
    policy = route.policy
    assert policy is not None, f"{route.full_name} has no access policy"
    return expected(policy, role, scope=route_scope(route))


BY_NAME = {route.full_name: route for route in ROUTES}


def access_cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for role in ROLES:
            marks = []
            if (route.full_name, role) in DEFECTS:
                marks.append(
                    pytest.mark.xfail(strict=True, reason=f"defect: {DEFECTS[route.full_name, role]}")
                )
            cases.append(pytest.param(route.full_name, role, id=f"{route.full_name}-{role}", marks=marks))
    return cases


ACCESS_CASES = access_cases()


def requests_for(route: Route, role: str) -> list[tuple[str, str]]:
    """(method, expected answer) of the requests a case sends: for a page, GET (POST when the page
    accepts nothing else), then POST when refused; for an API endpoint, each of its methods
    (reads and writes have their own rule)."""
    scope = route_scope(route)
    if not route.is_api:
        want = expected_for(route, role)
        # The admin sends whoever is not staff to its login before any of its views runs.
        refused = want in (LOGIN, DENY, HIDE) and route.policy != "staff"
        return [("get", want)] + ([("post", want)] if refused else [])
    read = expected_for(route, role)
    write = (
        REFINEMENTS[route.full_name, role][0]
        if (route.full_name, role) in REFINEMENTS
        else expected("token-write", role, scope=scope)
    )
    return [(method, write if method in UNSAFE else read) for method in api_methods(route)]


@pytest.mark.django_db
@pytest.mark.parametrize(("full_name", "role"), ACCESS_CASES)
def test_the_url_answers_the_role_as_its_policy_says(world, settings, full_name, role):
    settings.SOCIALACCOUNT_PROVIDERS = OIDC_PROVIDERS
    route = BY_NAME[full_name]
    client = client_for(world, role, route)
    url = route_url(route, route_kwargs(route, world, role))
    if full_name in QUERY:
        url = f"{url}?{QUERY[full_name](world, role)}"
    data = DATA[full_name](world, role) if full_name in DATA else {}
    for method, want in requests_for(route, role):
        unsafe = method in UNSAFE
        before = snapshot() if unsafe and want != ALLOW else None
        response = send(client, method, url, route, data)
        if method == "get" and response.status_code == 405 and not route.is_api:
            continue  # a POST-only page: its POST follows
        got = outcome(route, response)
        accepted = (
            {want, "status 405"} if before is not None else {want}
        )  # 405: "not this way" is a refusal too
        if want == LOGIN_STEP:
            accepted = {LOGIN, ALLOW}
        assert got in accepted, f"{full_name} as {role}: expected {want}, got {got} ({method.upper()} {url})"
        if before is not None:
            assert snapshot() == before, (
                f"{method.upper()} {url} as {role} was refused but changed the database"
            )


# --- The table is complete ---------------------------------------------------------------------------


def test_the_walk_reaches_every_kind_of_url():
    names = set(BY_NAME)
    assert {
        "account_login",
        "mfa_activate_totp",
        "set_language",
        "admin:index",
        "organisations:members",
    } <= names
    assert any(route.is_api for route in ROUTES)


def policy_problems(routes: list[Route]) -> list[str]:
    problems = []
    for route in routes:
        value, where = policy_for(route)
        if value is None:
            problems.append(f"{route.full_name} has no access policy (add it to {where})")
        elif value not in POLICY_VALUES:
            problems.append(f"{route.full_name}: unknown policy {value!r} in {where} (see `expected`)")
        if route.ours and route.params and route.full_name not in KWARGS:
            problems.append(f"{route.full_name} has parameters {route.params}: add a builder to KWARGS")
        for role in ROLES:
            if value in POLICY_VALUES:
                try:
                    requests_for(route, role)
                except AssertionError as error:
                    problems.append(f"{route.full_name} as {role}: {error}")
    for name, role in [*REFINEMENTS, *DEFECTS]:
        if name not in BY_NAME or role not in ROLES:
            problems.append(f"{name} / {role}: a refinement or defect of no (URL, role) case")
    return problems


def test_every_url_has_a_policy_kwargs_and_an_answer_for_every_role():
    problems = policy_problems(ROUTES)
    assert not problems, "Access policy table incomplete:\n" + "\n".join(problems)
    assert len(ACCESS_CASES) == len(ROUTES) * len(ROLES)


def test_the_check_would_catch_a_url_without_an_entry_or_kwargs(monkeypatch):
    from convergence.organisations import urls

    monkeypatch.delitem(urls.ACCESS_POLICY, "members")
    monkeypatch.delitem(urls.EXTERNAL_ACCESS_POLICY, "account_login")
    monkeypatch.delitem(KWARGS, "catalog:detail")
    problems = policy_problems(ROUTES)
    assert any(line.startswith("organisations:members has no access policy") for line in problems)
    assert any(line.startswith("account_login has no access policy") for line in problems)
    assert any(line.startswith("catalog:detail has parameters") for line in problems)


def test_a_policy_value_or_a_role_without_a_rule_fails_the_suite(monkeypatch):
    with pytest.raises(AssertionError, match="no rule for the policy value"):
        expected("no-such-value", "employee", scope=None)
    problems = policy_problems([BY_NAME["catalog:list"]])
    assert not problems
    monkeypatch.setattr(sys.modules[__name__], "ROLES", (*ROLES, "auditor"))
    problems = policy_problems([BY_NAME["catalog:list"]])
    assert any("as auditor" in line for line in problems)
