"""Django settings, derived from the instance's TOML file (``HANSE_CONFIG``)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from hanse.db import database_settings
from hanse.instance.config import DEFAULT_TOML, InstanceConfig, load_config, parse_config
from hanse.instance.keys import signing_key

BASE_DIR = Path(__file__).resolve().parent


def _load_instance() -> InstanceConfig:
    path = os.environ.get("HANSE_CONFIG")
    if path:
        return load_config(path)
    import tomllib

    return parse_config(tomllib.loads(DEFAULT_TOML), source="<built-in defaults>", base=Path.cwd())


HANSE_INSTANCE = _load_instance()


def _secret_key(cfg: InstanceConfig) -> str:
    if cfg.secret_key:
        return cfg.secret_key
    if os.environ.get("HANSE_SECRET_KEY"):
        return os.environ["HANSE_SECRET_KEY"]
    # Generated once per instance and kept beside its data, so restarts keep sessions valid.
    key_file = cfg.data_dir / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key(HANSE_INSTANCE)
DEBUG = os.environ.get("HANSE_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("HANSE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "hanse.instance.apps.InstanceConfigApp",
    "hanse.directory",
    "hanse.access",
    "hanse.audit",
    "hanse.partners",
    "hanse.customers",
    "hanse.catalog",
    "hanse.commerce",
    "hanse.licensing",
    "hanse.trustee",
    "hanse.links",
    "hanse.migration",
    "hanse.billing",
    "django_htmx",
    "hanse.admincenter",
    "hanse.api",
    "hanse.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hanse.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hanse.web.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hanse.api.middleware.ApiMiddleware",
    "hanse.web.middleware.BodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hanse.web.middleware.SignInRequirementsMiddleware",
    "axes.middleware.AxesMiddleware",
    "hanse.web.middleware.DatabaseBusyMiddleware",
]

# Bodies are capped before they are read (web.middleware.BodyLimitMiddleware, and the API's own
# check with its JSON error); Django's own limits say the same for what it parses.
MAX_REQUEST_BODY = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY

# API and enrolment rate counters: memory shared by a host's processes, not the primary database
# (api.ratelimit).
# Mail (the trustee's notices) is written to files under the data directory: no network.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = HANSE_INSTANCE.data_dir / "mail"
DEFAULT_FROM_EMAIL = f"hanse@{HANSE_INSTANCE.id}.invalid"
HANSE_RATE_LIMIT_FILE = HANSE_INSTANCE.data_dir / "ratelimit.counters"

ROOT_URLCONF = "hanse.urls"
WSGI_APPLICATION = "hanse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hanse.web.context.shell",
            ],
        },
    }
]

DATABASES = {"default": database_settings(HANSE_INSTANCE.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "hanse.directory.auth.UpnBackend",
]
PASSWORD_HASHERS = [
    "hanse.directory.passwords.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("upn", "display_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:signin"
LOGIN_REDIRECT_URL = "web:home"

SESSION_ENGINE = "hanse.web.sessions"  # database sessions, a sign-in written once
# Two instances on one host must never share a session or a CSRF token.
SESSION_COOKIE_NAME = f"hanse_{HANSE_INSTANCE.id}_session"
CSRF_COOKIE_NAME = f"hanse_{HANSE_INSTANCE.id}_csrftoken"
LANGUAGE_COOKIE_NAME = f"hanse_{HANSE_INSTANCE.id}_language"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
TLS = os.environ.get("HANSE_TLS") == "1" or HANSE_INSTANCE.public_url.startswith("https://")
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
if TLS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("HANSE_SSL_REDIRECT", "1") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HANSE_INSTANCE.public_url:
    CSRF_TRUSTED_ORIGINS = [HANSE_INSTANCE.public_url]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["hanse.formats"]  # English dates as Europe writes them (formats/en)
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = HANSE_INSTANCE.data_dir / "static"
# Served from the packages' static folders: no collectstatic step before the first start.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Files a browser asks for at the root (favicon.ico), which every page would otherwise 404.
WHITENOISE_ROOT = BASE_DIR / "web" / "root"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Sign-in throttling: five failures per account and address, then a 15-minute pause.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "hanse.web.throttle.normalised_username"
AXES_CLIENT_IP_CALLABLE = "hanse.clientaddr.client_address"
AXES_LOCKOUT_CALLABLE = "hanse.web.views.locked_out"
AXES_VERBOSE = False
# Failures are kept (the lockout counts them); a log of every successful sign-in, which nothing
# reads, was an insert and a write transaction in each one.
AXES_DISABLE_ACCESS_LOG = True
AXES_HANDLER = "hanse.web.throttle.Handler"

OTP_TOTP_ISSUER = f"Hanse {HANSE_INSTANCE.name}"
OTP_TOTP_THROTTLE_FACTOR = 1

OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "partner": "Act on the partner center as the signed-in user",
        "openid": "Say who you are: your user, your tenant, its region and your roles",
        "migration": "Move your customers here from the instance you link to this account",
    },
    "DEFAULT_SCOPES": ["partner"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only: "plain" is refused
    # OpenID Connect for the instance's own tenants (docs/oidc.md): RS256 ID tokens, userinfo.
    "OIDC_ENABLED": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RSA_PRIVATE_KEY": signing_key(HANSE_INSTANCE.data_dir, HANSE_INSTANCE.oidc_key_file),
    "OIDC_ISS_ENDPOINT": HANSE_INSTANCE.public_url,
    "OAUTH2_VALIDATOR_CLASS": "hanse.directory.oidc.HanseValidator",
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HANSE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# UPNs are unique case-insensitively (a functional unique constraint), which Django's check
# cannot see; the auth backend looks them up with the ieq lookup (hanse.db).
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
