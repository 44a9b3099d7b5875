"""Every named URL has an access rule, and no non-public page answers an anonymous visitor.

Walks the whole resolver (our apps, the REST API router, allauth, admin, i18n). A URL's rule is
looked up in the `ACCESS_POLICY` of the nearest urls module that declares one (key: the name
without namespace); URLs of third-party modules are looked up in `EXTERNAL_ACCESS_POLICY` of
`convergence.organisations.urls` (key: the name with its namespace, or `namespace:*`).
"""

from types import ModuleType

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from convergence.organisations.urls import EXTERNAL_ACCESS_POLICY

ALLOWED = {"public", "authenticated", "member", "account-manager", "agency", "token", "staff"}


ROOT = get_resolver().urlconf_module


def walk(resolver: URLResolver, namespace: str | None = None, policy_module: ModuleType | None = None):
    for entry in resolver.url_patterns:
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
            yield from walk(entry, child_ns, child_policy)
        elif isinstance(entry, URLPattern) and entry.name:
            full_name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield full_name, entry, policy_module


def policy_for(full_name: str, name: str, module: ModuleType | None) -> tuple[str | None, str]:
    if module is not None and module.__name__.startswith("convergence."):
        return getattr(module, "ACCESS_POLICY", {}).get(name), f"ACCESS_POLICY of {module.__name__}"
    namespace = full_name.rsplit(":", 1)[0] if ":" in full_name else None
    value = EXTERNAL_ACCESS_POLICY.get(full_name) or (
        EXTERNAL_ACCESS_POLICY.get(f"{namespace}:*") if namespace else None
    )
    return value, "convergence.organisations.urls.EXTERNAL_ACCESS_POLICY"


ROUTES = sorted(
    {(full_name, entry.name, module) for full_name, entry, module in walk(get_resolver())}, key=lambda r: r[0]
)


def test_the_walk_reaches_every_kind_of_url():
    names = {full_name for full_name, _, _ in ROUTES}
    assert {
        "account_login",
        "mfa_activate_totp",
        "set_language",
        "admin:index",
        "organisations:members",
    } <= names
    assert any(name.startswith("api:") for name in names)


def missing_policies() -> list[str]:
    missing = []
    for full_name, name, module in ROUTES:
        value, where = policy_for(full_name, name, module)
        if value is None:
            missing.append(f"{full_name} (add it to {where})")
        elif value not in ALLOWED:
            missing.append(f"{full_name}: unknown policy {value!r} in {where}")
    return missing


def test_every_named_url_has_an_access_policy():
    missing = missing_policies()
    assert not missing, "URLs without a valid access policy:\n" + "\n".join(missing)


def test_the_check_would_catch_a_url_without_an_entry(monkeypatch):
    from convergence.organisations import urls

    monkeypatch.delitem(urls.ACCESS_POLICY, "members")
    monkeypatch.delitem(urls.EXTERNAL_ACCESS_POLICY, "account_login")
    missing = missing_policies()
    assert any(line.startswith("organisations:members ") for line in missing)
    assert any(line.startswith("account_login ") for line in missing)


def parameterless_private_urls():
    for full_name, name, module in ROUTES:
        value, _ = policy_for(full_name, name, module)
        if value in (None, "public"):
            continue
        try:
            url = reverse(full_name)
        except NoReverseMatch:
            continue  # needs parameters
        yield pytest.param(full_name, url, id=full_name)


@pytest.mark.django_db
@pytest.mark.parametrize(("full_name", "url"), list(parameterless_private_urls()))
def test_an_anonymous_visitor_gets_no_private_page(client, full_name, url):
    response = client.get(url)
    if response.status_code in (301, 302):
        location = response["Location"]
        assert reverse("account_login") in location or reverse("admin:login") in location, (
            f"{full_name} redirects an anonymous visitor to {location}, not to a login page"
        )
    else:
        assert response.status_code in (401, 403, 404, 405), (
            f"{full_name} answered {response.status_code} to an anonymous visitor"
        )
