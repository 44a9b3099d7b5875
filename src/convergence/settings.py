"""Settings, driven by environment variables (12-factor); every one is listed, with its type and
default, in docs/operations.md ("Settings"). Values are read strictly (`convergence.lib.env`): a
malformed value or an unknown `CONVERGENCE_*` variable stops the process at start with a clear
message.

CONVERGENCE_PROFILE  "development" (default: `make run`, the test suite) or "production" (`make serve`,
                     the Dockerfile, the systemd units): PostgreSQL, Redis, JSON logs, HTTPS settings
DATABASE_URL         sqlite:///ABS/PATH or postgres://user:pass@host:port/db (default: SQLite in DATA_DIR)
SECRET_KEY           secret key; without it one is generated once and kept in DATA_DIR (development only)
DEBUG                "1"/"true" to enable (development only)
ALLOWED_HOSTS        comma-separated host names
DATA_DIR             where the default SQLite file, the uploaded files and the secret key live (data/)
"""

import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from convergence.lib.env import Env
from convergence.organisations.oidc_config import form_action_origins, parse_oidc_providers

BASE_DIR = Path(__file__).resolve().parent
env = Env()


def env_bool(name: str, default: bool = False) -> bool:
    return env.bool(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return env.list(name, default)


# Under pytest, settings are those of the test suite whatever the environment says.
TESTING = env_bool("CONVERGENCE_TESTING") or "pytest" in sys.modules
PROFILE = (
    "development"
    if TESTING
    else env.choice("CONVERGENCE_PROFILE", ("development", "production"), "development")
)
PRODUCTION = PROFILE == "production"
DEBUG = env_bool("DEBUG") and not PRODUCTION
# Demo mode: demonstration accounts exist and their password is printed; never in production.
DEMO_MODE = env_bool("CONVERGENCE_DEMO") and not PRODUCTION
# The project's data folder: `data/` beside `src/` in a checkout, whatever the working directory.
DATA_DIR = Path(env.str("DATA_DIR", str(BASE_DIR.parent.parent / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
if PRODUCTION:
    # A production process never invents what the operator must choose.
    env.require("SECRET_KEY", "the production profile never generates one")
    env.require("DATABASE_URL", "the production profile runs on PostgreSQL")
    env.require("CACHE_URL", "lockouts and rate limits must hold across processes: redis://host:6379/0")
    env.require("ALLOWED_HOSTS", "the host names the site answers to")
    if env.bool("CONVERGENCE_DEMO"):
        env.problems.append("CONVERGENCE_DEMO cannot be set with CONVERGENCE_PROFILE=production")
    if env.bool("DEBUG"):
        env.problems.append("DEBUG cannot be set with CONVERGENCE_PROFILE=production")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    if key := env.str("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
if TESTING:
    ALLOWED_HOSTS.append("testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "widget_tweaks",
    "dsfr",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_tasks_db",
    "convergence.referential",
    "convergence.organisations",
    "convergence.catalog",
    "convergence.assessments",
    "convergence.analytics",
    "convergence.exchange",
    "convergence.api",
    "convergence.web",
    "convergence.ops",
    "convergence.demo",
    "convergence.notifications",
    "convergence.referencing",
]

MIDDLEWARE = [
    # First: the request id is set before anything logs, and every answer is in the access log.
    "convergence.ops.middleware.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "convergence.web.middleware.csp_nonce_middleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # Agency members and account managers must set up TOTP before using the app.
    "convergence.organisations.middleware.mfa_required_middleware",
    "convergence.organisations.middleware.SecurityEventMiddleware",
]

ROOT_URLCONF = "convergence.urls"
WSGI_APPLICATION = "convergence.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "convergence.web.context_processors.site",
                "convergence.notifications.context_processors.notifications",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASE_URL = env.url(
    "DATABASE_URL", ("sqlite", "postgres", "postgresql"), f"sqlite:///{DATA_DIR / 'convergence.sqlite3'}"
)
if PRODUCTION and DATABASE_URL.startswith("sqlite"):
    env.problems.append("DATABASE_URL: the production profile runs on PostgreSQL (postgres://...)")
# Connections: a pool per process (psycopg_pool) in production, checked before each use; without
# the pool (DB_POOL_MAX_SIZE=0), persistent connections (CONN_MAX_AGE) with health checks.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", 4 if PRODUCTION else 0, minimum=0)
CONN_MAX_AGE = env.int("CONN_MAX_AGE", 0, minimum=0)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=PRODUCTION or CONN_MAX_AGE > 0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE:
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:  # the fallback the docs describe: persistent, checked connections
        DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE or 600
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool needs it
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.int("DB_POOL_TIMEOUT", 10, minimum=1),
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and the web server share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisations.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served by WhiteNoise from the installed packages (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Upload limits; evidence and import services check sizes again with clear messages.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
REFERENTIAL_MAX_BYTES = env.int("REFERENTIAL_MAX_BYTES", 5 * 1024 * 1024, minimum=1)

# Security
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 60 * 60 * 2, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an inactivity timeout
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind the TLS-terminating reverse proxy (the production default): secure cookies, HSTS, and the
# proxy's X-Forwarded-Proto trusted. `make serve` turns it off to be reachable over plain HTTP.
if env_bool("HTTPS", PRODUCTION):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # The health check is asked over plain HTTP by the load balancer, inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# OpenID Connect providers (ProConnect, Pro Santé Connect): JSON list, see organisations/oidc_config.py.
OIDC_PROVIDERS = parse_oidc_providers(env.str("OIDC_PROVIDERS"))
# An OpenID Connect login POSTs to us and is redirected to the provider: allow its origin.
OIDC_FORM_ACTION_ORIGINS = env_list("OIDC_FORM_ACTION_ORIGINS") + form_action_origins(OIDC_PROVIDERS)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *OIDC_FORM_ACTION_ORIGINS],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Accounts (django-allauth)
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.choice(
    "ACCOUNT_EMAIL_VERIFICATION", ("mandatory", "optional", "none"), "mandatory"
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Convergence"
SOCIALACCOUNT_PROVIDERS: dict = {"openid_connect": {"APPS": OIDC_PROVIDERS, "OAUTH_PKCE_ENABLED": True}}
ACCOUNT_ADAPTER = "convergence.organisations.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "convergence.organisations.adapters.SocialAccountAdapter"
# An OIDC login whose provider asserts a *verified* address that belongs to an existing account
# logs into that account and links the provider to it (allauth only matches verified addresses;
# an unverified claim goes to the sign-up form instead). Trusted providers only: see docs/accounts.md.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Open sign-up (an account with no organisation sees nothing until invited); "0" = invitations only.
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
# Lockout: after 5 failed logins on one address (existing or not) within 15 minutes, that
# address is refused for the rest of the window, with the same message either way.
ACCOUNT_RATE_LIMITS = {"login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", "20/m/ip,5/900s/key")}
if TESTING:
    # The whole suite logs in from 127.0.0.1 many times a minute.
    ACCOUNT_RATE_LIMITS["login"] = "1000/m/ip"
# Agency members and account managers must set up TOTP (organisations/middleware.py). Off by
# default under tests so other apps' tests need no authenticator; tests/organisations turn it on.
MFA_REQUIRED_FOR_SENSITIVE_ROLES = env_bool("MFA_REQUIRED", not TESTING)
# Sessions are listed from login time; tracking "last seen" would cost a write per request.
USERSESSIONS_TRACK_ACTIVITY = env_bool("USERSESSIONS_TRACK_ACTIVITY", False)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", 7, minimum=1)

# E-mail: printed to the console in development, sent by SMTP in production (EMAIL_HOST...).
_email_backend = env.str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS: dict = {"default": {"BACKEND": _email_backend}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", "localhost"),
        "port": env.int("EMAIL_PORT", 25, minimum=1),
        "username": env.str("EMAIL_HOST_USER"),
        "password": env.str("EMAIL_HOST_PASSWORD"),
        "use_tls": env.bool("EMAIL_USE_TLS"),
        "timeout": env.int("EMAIL_TIMEOUT", 30, minimum=1),
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "convergence@localhost")
# Absolute address of the site, for links in e-mails sent outside a request (reminders).
SITE_URL = env.url("SITE_URL", ("http", "https"), "http://127.0.0.1:8000")
# Campaign deadline reminders go out this many days before a campaign closes.
CAMPAIGN_REMINDER_DAYS = env.int_list("CAMPAIGN_REMINDER_DAYS", "14,3")

# The login lockout (allauth's rate limits) and the API rate limit count in this cache: with more
# than one process it must be shared, hence Redis (required by the production profile). Without
# CACHE_URL (one `runserver` process, the test suite) a per-process memory cache.
CACHE_URL = env.url("CACHE_URL", ("redis", "rediss", "unix"))
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", "convergence"),
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "convergence"}
    )
}

# Background work (reminders, large reports) runs on the database-backed worker
# (`convergence db_worker`); tests run tasks immediately.
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else "django_tasks_db.DatabaseBackend",
    }
}

REST_FRAMEWORK = {
    # Every API view (referencing's too, which cannot import the API app) documents the one error
    # shape of convergence.api.exceptions.
    "DEFAULT_SCHEMA_CLASS": "convergence.api.schema.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # API (convergence.api): personal access tokens or the session, one error format, a rate per token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "convergence.api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["convergence.api.permissions.IsMember"],
    "EXCEPTION_HANDLER": "convergence.api.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "convergence.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["convergence.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env.str("API_RATE", "100000/hour" if TESTING else "1200/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Convergence API",
    "DESCRIPTION": "Declare products and regional services, self-assess them against the "
    "e-health doctrine, read campaign reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The DSFR brand block (Marianne, "République française") is reserved to State services:
# an operator that is not one sets CONVERGENCE_BRAND to its own name.
SITE_BRAND_HTML = env.str("CONVERGENCE_BRAND", "République<br>française")
SITE_TITLE = "Convergence"
SITE_TAGLINE = _("Steering the adoption of the e-health doctrine")

# Logs go to standard error (the process manager keeps them: journald, docker). The production
# profile writes one JSON object per line with the request id (convergence.lib.logs); every request
# is logged once by `convergence.request` (the access log, see docs/operations.md on retention).
LOG_FORMAT = env.choice("LOG_FORMAT", ("text", "json"), "json" if PRODUCTION else "text")
LOG_LEVEL = env.choice(
    "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO" if PRODUCTION else "WARNING"
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "convergence.lib.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "convergence.lib.logs.JSONFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "convergence.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "convergence.request": {
            "handlers": ["console"],
            "level": "INFO" if PRODUCTION or env_bool("ACCESS_LOG") else "WARNING",
            "propagate": False,
        },
        "django.tasks": {
            "handlers": ["console"],
            "level": "INFO" if PRODUCTION else "WARNING",
            "propagate": False,
        },
    },
}

# Every variable read above is known: anything else named CONVERGENCE_* is a typo, and any problem
# stops the process here with every message at once.
env.check_unknown(also_known=("CONVERGENCE_REQUIRE_BROWSER",))
env.exit_if_problems()
