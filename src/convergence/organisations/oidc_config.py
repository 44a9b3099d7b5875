"""OpenID Connect providers (ProConnect, Pro Santé Connect...) from the environment.

Pure Python (imported by settings). `OIDC_PROVIDERS` holds a JSON list, e.g.::

    [{"id": "proconnect", "name": "ProConnect", "server_url": "https://auth.example.gouv.fr/api/v2",
      "client_id": "...", "secret": "...", "scope": ["openid", "email", "given_name", "usual_name"]}]

Each entry becomes an app of allauth's `openid_connect` provider; the origin of each
`server_url` is added to the CSP `form-action` (the login POST answers a redirect to it).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

REQUIRED_KEYS = ("id", "name", "server_url", "client_id")


def parse_oidc_providers(raw: str) -> list[dict]:
    if not raw.strip():
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"OIDC_PROVIDERS is not valid JSON: {error}") from error
    if not isinstance(entries, list):
        raise ValueError("OIDC_PROVIDERS must be a JSON list of providers")
    apps = []
    for position, entry in enumerate(entries):
        missing = [key for key in REQUIRED_KEYS if not entry.get(key)]
        if missing:
            raise ValueError(f"OIDC_PROVIDERS[{position}] lacks {', '.join(missing)}")
        settings = {"server_url": entry["server_url"]}
        for key in ("scope", "token_auth_method", "fetch_userinfo", "auth_params", "oauth_pkce_enabled"):
            if key in entry:
                settings[key] = entry[key]
        apps.append(
            {
                "provider_id": entry["id"],
                "name": entry["name"],
                "client_id": entry["client_id"],
                "secret": entry.get("secret", ""),
                "settings": settings,
            }
        )
    return apps


def form_action_origins(apps: list[dict]) -> list[str]:
    origins = []
    for app in apps:
        parts = urlsplit(app["settings"]["server_url"])
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins
