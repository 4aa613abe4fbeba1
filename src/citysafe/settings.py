"""Django settings for citysafe, driven by environment variables (see README, "Configuration").

The embedded default is one data directory holding SQLite databases and uploaded files; PostgreSQL is selected
with ``DATABASE_URL``.  Nothing here needs a server.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty strings."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CITYSAFE_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use CITYSAFE_SECRET_KEY, else a random key kept in the data directory so sessions survive restarts."""
    if os.environ.get("CITYSAFE_SECRET_KEY"):
        return os.environ["CITYSAFE_SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CITYSAFE_DEBUG", False)
ALLOWED_HOSTS = env_list("CITYSAFE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CITYSAFE_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ninja",  # serves Swagger UI and ReDoc assets locally (no CDN)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "django_filters",
    "django_htmx",
    "huey.contrib.djhuey",
    "citysafe.core",
    "citysafe.workplans",
    "citysafe.hazards",
    "citysafe.monitoring",
    "citysafe.early_warning",
    "citysafe.incidents",
    "citysafe.resources",
    "citysafe.plans",
    "citysafe.records",
    "citysafe.evaluation",
    "citysafe.command",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "citysafe.urls"
WSGI_APPLICATION = "citysafe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "citysafe.core.context_processors.site",
                "citysafe.early_warning.views_response.notification_badge",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "citysafe.sqlite3",
            # WAL lets the web server read while the worker writes; busy timeout rides out short write locks.
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        },
        # Sensor readings in their own file: high-rate batched inserts never block the main database.
        "readings": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "readings.sqlite3",
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        },
    }
DATABASE_ROUTERS = ["citysafe.monitoring.routers.ReadingsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- i18n: Chinese first, English second ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root before collectstatic has run
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- background work (huey): SQLite by default, Redis or PostgreSQL-free immediate mode for tests ----------------
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "citysafe",
    "utc": False,  # crontab in Asia/Shanghai (Django sets the process TZ from TIME_ZONE)
    "filename": str(DATA_DIR / "huey.sqlite3"),
    "immediate": env_bool("CITYSAFE_HUEY_IMMEDIATE", False),
    "consumer": {"workers": 2, "worker_type": "thread"},
}
if os.environ.get("CITYSAFE_REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "citysafe",
    "utc": False,  # crontab in Asia/Shanghai (Django sets the process TZ from TIME_ZONE)
        "url": os.environ["CITYSAFE_REDIS_URL"],
        "immediate": env_bool("CITYSAFE_HUEY_IMMEDIATE", False),
        "consumer": {"workers": 4, "worker_type": "thread"},
    }

# --- domain settings -----------------------------------------------------------------------------------------
# "主汛期前" (before the main flood season) resolves to this month-day in the plan year.  Chongqing's main flood
# season starts in June (重庆市防汛抗旱应急预案: 主汛期 6–8 月), so "before" means by 05-31; change per city.
CITYSAFE_FLOOD_SEASON_DEADLINE = os.environ.get("CITYSAFE_FLOOD_SEASON_DEADLINE", "05-31")
# Pace rule for target status: a target is "at risk" when progress is below this share of the time-proportional
# expectation (时间过半、任务过半).  No regulation fixes the share; 0.8 is a default, documented in docs/status.md.
CITYSAFE_AT_RISK_RATIO = float(os.environ.get("CITYSAFE_AT_RISK_RATIO", "0.8"))
CITYSAFE_OFF_TRACK_RATIO = float(os.environ.get("CITYSAFE_OFF_TRACK_RATIO", "0.5"))
# Optional XYZ tile layer for maps (offline tile server, Tianditu); empty = boundaries only, no network.
CITYSAFE_MAP_TILE_URL = os.environ.get("CITYSAFE_MAP_TILE_URL", "")
CITYSAFE_MAX_UPLOAD_MB = int(os.environ.get("CITYSAFE_MAX_UPLOAD_MB", "20"))

# --- monitoring and warnings ------------------------------------------------------------------------------------
CITYSAFE_MQTT_HOST = os.environ.get("CITYSAFE_MQTT_HOST", "127.0.0.1")
CITYSAFE_MQTT_PORT = int(os.environ.get("CITYSAFE_MQTT_PORT", "1883"))
CITYSAFE_MQTT_USERNAME = os.environ.get("CITYSAFE_MQTT_USERNAME", "")
CITYSAFE_MQTT_PASSWORD = os.environ.get("CITYSAFE_MQTT_PASSWORD", "")
# Readings stamped further ahead than this (clock skew allowance) are dead letters.
CITYSAFE_MAX_FUTURE_S = int(os.environ.get("CITYSAFE_MAX_FUTURE_S", "300"))
# JSON overrides of UNCONFIRMED default rule values (see docs/rules.md), e.g. {"ponding.levels": {...}}.
CITYSAFE_RULE_OVERRIDES = json.loads(os.environ.get("CITYSAFE_RULE_OVERRIDES", "{}") or "{}")
# GB/T 35965.1 issuer code of this platform's CAP messages: GB/T 2260 code + organisation + internal + extension.
CITYSAFE_CAP_ISSUER_CODE = os.environ.get("CITYSAFE_CAP_ISSUER_CODE", "50000000000000")
CITYSAFE_CAP_SENDER_NAME = os.environ.get("CITYSAFE_CAP_SENDER_NAME", "城市安全风险监测预警平台")

# Manual warnings: levels each authority may issue (project default: districts IV-III, the city all) and four-eyes.
CITYSAFE_WARNING_ISSUE_LEVELS = json.loads(os.environ.get(
    "CITYSAFE_WARNING_ISSUE_LEVELS",
    '{"district": ["blue", "yellow"], "city": ["blue", "yellow", "orange", "red"]}') or "{}") or None
CITYSAFE_WARNING_FOUR_EYES = env_bool("CITYSAFE_WARNING_FOUR_EYES", True)
# Longest silence in hours per authority (project default: districts 72 h, the city 30 days).
CITYSAFE_SILENCE_MAX_HOURS = json.loads(os.environ.get(
    "CITYSAFE_SILENCE_MAX_HOURS", '{"district": 72, "city": 720}') or "{}") or None

# Road graph for travel-time "nearest resources" (GeoJSON lines with speed_kmh, or a CSV edge list; docs/resources.md).
CITYSAFE_ROAD_GRAPH = os.environ.get("CITYSAFE_ROAD_GRAPH", "")

# 叫应 channels (early_warning/channels.py): SMTP for e-mail, a signed webhook for SMS/voice gateways and bots.
EMAIL_HOST = os.environ.get("CITYSAFE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CITYSAFE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CITYSAFE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CITYSAFE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CITYSAFE_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("CITYSAFE_EMAIL_FROM", "citysafe@localhost")
CITYSAFE_WEBHOOK_URL = os.environ.get("CITYSAFE_WEBHOOK_URL", "")
CITYSAFE_WEBHOOK_SECRET = os.environ.get("CITYSAFE_WEBHOOK_SECRET", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CITYSAFE_LOG_LEVEL", "WARNING")},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CITYSAFE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
