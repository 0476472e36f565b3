"""LAPOR settings: one module, driven by environment variables.

With nothing set, LAPOR runs embedded: SQLite, no Redis, Celery tasks run in-process.
With DATABASE_URL (PostgreSQL) set it runs in production mode, which also requires
REDIS_URL, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; a missing or wrong one stops
start-up with a message that names it.
"""

import datetime as dt
import ipaddress
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _require(name: str, hint: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production mode (DATABASE_URL is set): {hint}")
    return value


def installation_secret_key(path: Path) -> str:
    """The secret key stored at `path`, generated there (readable by its owner only) on first use.

    Two processes starting at once (the web server and the clock loop) agree on one key: the file
    is written aside and linked into place, which fails for the second, who then reads the first's."""
    import os
    import secrets

    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} holds no usable secret key: delete it to have a new one made.")
    return key


SECRET_KEY_FILE = ".lapor-secret-key"

# --- Mode ---
DATABASE_URL = env.str("DATABASE_URL", default="").strip()
REDIS_URL = env.str("REDIS_URL", default="").strip()
PRODUCTION = bool(DATABASE_URL)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if PRODUCTION:
    SECRET_KEY = _require("DJANGO_SECRET_KEY", "a long random string")
    _hosts = _require("DJANGO_ALLOWED_HOSTS", "comma-separated host names, e.g. lapor.go.id")
    ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
    _require("REDIS_URL", "e.g. redis://127.0.0.1:6379/0")
else:
    # Embedded mode: a key of this installation's own, made on first run next to the database.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or installation_secret_key(
        Path(env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))).parent / SECRET_KEY_FILE
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix:// (got {REDIS_URL!r})")

# --- Applications ---
INSTALLED_APPS = [
    "lapor.admin_site.LaporAdminConfig",  # django.contrib.admin with a lazily built app list
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accounts",
    "agencies",
    "complaints",
    "dashboards",
    "api",
    "channels",
]

MIDDLEWARE = [
    # First, so that it compresses the final body (text only). Django's GZipMiddleware pads each compressed
    # response with random bytes (its BREACH mitigation) and every CSRF token is masked anew per
    # response, so a secret on the page cannot be guessed from compressed sizes.
    "lapor.http_cache.CompressTextMiddleware",
    "lapor.http_cache.CacheHeadersMiddleware",  # Cache-Control: anonymous public pages only (browser)
    "django.middleware.security.SecurityMiddleware",
    "lapor.csp_header.CSPMiddleware",  # django-csp's, the policy built once per process
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Anonymous public pages answered whole from the cache, CSRF token and nonce filled in per response,
    # before everything below (lapor/page_cache.py); the headers above apply to hits too.
    "lapor.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.http.ApiSurfaceMiddleware",  # /api/ and /open311/: keys instead of CSRF, errors in their format
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSessionMiddleware",
    "agencies.middleware.ActingAgencyMiddleware",  # which of their agencies a person acts for
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "lapor.urls"
WSGI_APPLICATION = "lapor.wsgi.application"

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
                "complaints.context_processors.notifications",
                "complaints.context_processors.maps",
            ],
        },
    },
]

# --- Database ---
if DATABASE_URL:
    try:
        DATABASES = {"default": env.db_url("DATABASE_URL")}
    except Exception as exc:  # environ raises several kinds for a malformed URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    if DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://user:pass@host:5432/name)")
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parallel test runs on one server each need their own test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME", default=None)}
    if env.str("DATABASE_REPLICA_URL", default=""):
        # A streaming replica of the primary for read-mostly figures (lapor/db_router.py).
        DATABASES["replica"] = {**env.db_url("DATABASE_REPLICA_URL"), "TEST": {"MIRROR": "default"}}
        DATABASE_ROUTERS = ["lapor.db_router.ReplicaRouter"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(env.path("SQLITE_PATH", default=BASE_DIR / "db.sqlite3")),
            # Write transactions take the write lock at BEGIN (Django 5.1+): a deferred transaction
            # that reads, then writes, cannot wait for a concurrent writer and failed at once with
            # "database is locked"; an IMMEDIATE one waits up to `timeout` seconds for its turn.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---
if REDIS_URL:
    # An outage is a cache miss with a logged warning, never an error (lapor/cache.py).
    CACHES = {"default": {"BACKEND": "lapor.cache.FailSafeRedisCache", "LOCATION": REDIS_URL}}
    # Sessions: the database is the record, a signed-in request reads its copy in Redis (lapor/sessions.py).
    SESSION_ENGINE = "lapor.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole anonymous public pages kept this many seconds at most (lapor/page_cache.py; 0: off). Changes to
# reports and reference data replace them at once; this bounds what no version covers.
LAPOR_PAGE_CACHE_SECONDS = env.int("LAPOR_PAGE_CACHE_SECONDS", default=60)
# The hottest statements prepared on the PostgreSQL server once per connection (lapor/prepared.py:
# execute). Off behind a pooler in transaction mode (PgBouncer), which loses a session's prepared statements.
LAPOR_KEEP_PLANS = env.bool("LAPOR_KEEP_PLANS", default=True)
# The public search's statements are cancelled by PostgreSQL after this many milliseconds; the results
# page then says the search took too long (complaints/filters.py: search_page). Other databases: unused.
LAPOR_SEARCH_TIMEOUT_MS = env.int("LAPOR_SEARCH_TIMEOUT_MS", default=3000)
# Each client address's budget of slow search time (complaints/search_budget.py): a search slower than
# LAPOR_SEARCH_SLOW_MS (a timed-out one: its whole timeout) is charged to the address; one over
# LAPOR_SEARCH_BUDGET_MS of charges in a window of LAPOR_SEARCH_BUDGET_WINDOW_SECONDS gets 429 for any
# search off the cheap path until the window ends. 0: no budget.
LAPOR_SEARCH_SLOW_MS = env.int("LAPOR_SEARCH_SLOW_MS", default=250)
LAPOR_SEARCH_BUDGET_MS = env.int("LAPOR_SEARCH_BUDGET_MS", default=10_000)
LAPOR_SEARCH_BUDGET_WINDOW_SECONDS = env.int("LAPOR_SEARCH_BUDGET_WINDOW_SECONDS", default=60)

# --- Accounts ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend", "accounts.backends.EmailOrPhoneBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env.bool("LAPOR_FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Login lockout (django-axes, accounts/lockout.py): failures within the cool-off per account and per client
# address (the address limit is high: a carrier NAT shares one); national admins unlock in the admin.
LAPOR_LOGIN_FAILURES_PER_ACCOUNT = env.int("LAPOR_LOGIN_FAILURES_PER_ACCOUNT", default=5)
LAPOR_LOGIN_FAILURES_PER_ADDRESS = env.int("LAPOR_LOGIN_FAILURES_PER_ADDRESS", default=50)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LAPOR_LOGIN_COOLOFF_MINUTES", default=15))
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "lapor.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # accounts/admin.py registers the attempts for national admins
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not logged by axes
AXES_VERBOSE = False
# Other forms a script would hammer: (count, window in seconds) per client address / per account.
LAPOR_PASSWORD_RESET_RATE_IP = (env.int("LAPOR_PASSWORD_RESET_RATE_IP", default=30), 60 * 60)
LAPOR_PASSWORD_RESET_RATE_USER = (env.int("LAPOR_PASSWORD_RESET_RATE_USER", default=3), 60 * 60)
LAPOR_REGISTER_RATE_IP = (env.int("LAPOR_REGISTER_RATE_IP", default=30), 60 * 60)
LAPOR_COMMENT_RATE_IP = (env.int("LAPOR_COMMENT_RATE_IP", default=300), 60 * 60)
LAPOR_COMMENT_RATE_USER = (env.int("LAPOR_COMMENT_RATE_USER", default=10), 10 * 60)

# Staff (and citizens who opted in) prove a TOTP code after the password (accounts/otp.py).
OTP_TOTP_ISSUER = "LAPOR!"
# A staff session unused this long ends (sliding; also ended by a password change).
LAPOR_STAFF_IDLE_SECONDS = env.int("LAPOR_STAFF_IDLE_MINUTES", default=30) * 60
# Report submissions allowed per account and per client address: (count, window in seconds). The
# per-address count is only a safety net against scripted mass accounts: a whole carrier NAT shares one
# address, so it is set far above what the people behind one address file in an hour.
LAPOR_SUBMIT_RATE_USER = (env.int("LAPOR_SUBMIT_RATE_USER", default=5), 10 * 60)
LAPOR_SUBMIT_RATE_IP = (env.int("LAPOR_SUBMIT_RATE_IP", default=200), 60 * 60)

# --- Client address (lapor/clientip.py) ---
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed. Empty: REMOTE_ADDR is the client.
LAPOR_TRUSTED_PROXIES = env.list("LAPOR_TRUSTED_PROXIES", default=[])
for _proxy in LAPOR_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"LAPOR_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (e.g. 127.0.0.1,10.0.0.0/8)"
        ) from None

# --- Internationalisation ---
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"  # display; the database stores UTC
USE_TZ = True

# --- Static and uploaded files ---
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = str(env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles"))
# Attachments are private: stored outside any served URL and sent only through a view that
# checks access (complaints.views.attachment).
PRIVATE_MEDIA_ROOT = str(env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "media" / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Several web servers need shared storage: set LAPOR_PRIVATE_STORAGE_BACKEND, e.g.
    # "storages.backends.s3.S3Storage" (pip install django-storages[s3]) with its OPTIONS as JSON in
    # LAPOR_PRIVATE_STORAGE_OPTIONS (a private bucket: files are still served only through the views).
    "private": {
        "BACKEND": env.str("LAPOR_PRIVATE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json(
            "LAPOR_PRIVATE_STORAGE_OPTIONS", default={"location": PRIVATE_MEDIA_ROOT, "base_url": None}
        ),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- E-mail ---
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LAPOR <noreply@lapor.test>")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_FILE_PATH = str(env.path("EMAIL_FILE_PATH", default=BASE_DIR / "media" / "outbox"))

# --- Celery ---
CELERY_BROKER_URL = REDIS_URL or "memory://"
if REDIS_URL.startswith("redis://"):
    # kombu's Redis transport with one publishing client per channel, not one per message (lapor/broker.py).
    CELERY_BROKER_TRANSPORT = "lapor.broker:Transport"
CELERY_RESULT_BACKEND = None
# Without Redis, tasks run in-process right after the commit that queued them.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The longest tasks: report list exports (complaints.tasks.build_export) and the open-data export.
LAPOR_EXPORT_TIME_LIMIT = env.int("LAPOR_EXPORT_TIME_LIMIT", default=3 * 3600)
LAPOR_OPEN_DATA_TIME_LIMIT = env.int("LAPOR_OPEN_DATA_TIME_LIMIT", default=2 * 3600)
# Fail fast when Redis is down: the outbox sweep delivers what could not be queued. A message a
# worker took but never acknowledged (the worker was killed) goes back to the queue after the
# visibility timeout: it must exceed the longest task's time limit, or a long export still being
# built would be handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_timeout": 2,
    "visibility_timeout": max(LAPOR_EXPORT_TIME_LIMIT, LAPOR_OPEN_DATA_TIME_LIMIT, CELERY_TASK_TIME_LIMIT) + 15 * 60,
}
CELERY_TIMEZONE = "UTC"

# --- Deadline sweep (complaints/escalation.py) ---
# Escalation ladder of a missed agency clock (working days): parent agency, then national.
LAPOR_ESCALATE_PARENT_AFTER_DAYS = env.int("LAPOR_ESCALATE_PARENT_AFTER_DAYS", default=2)
LAPOR_ESCALATE_NATIONAL_AFTER_DAYS = env.int("LAPOR_ESCALATE_NATIONAL_AFTER_DAYS", default=5)
# A staff member who would get more reminder/escalation mails than this in one sweep gets one summary.
LAPOR_SWEEP_DIGEST_THRESHOLD = env.int("LAPOR_SWEEP_DIGEST_THRESHOLD", default=10)

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION and not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# HTTPS only, in production mode unless the environment says otherwise (behind a TLS proxy, which
# sets X-Forwarded-Proto). Tests speak plain HTTP: lapor/pytest_plugin.py turns the redirect off.
_https = PRODUCTION and not DEBUG
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=_https)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

# The maps (report form pin, public map, staff pages): Leaflet is served from static/vendor; only the
# tiles come from the tile server, whose origin the CSP below allows as an image source. The default is
# OpenStreetMap's own server (fine for modest use under its tile policy; set your own for production).
LAPOR_MAP_TILE_URL = env.str("LAPOR_MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
LAPOR_MAP_ATTRIBUTION = env.str(
    "LAPOR_MAP_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
# Where the staff's "open in a map" link of a pin goes ({lat}, {lng}): the text fallback of every staff map.
LAPOR_MAP_LINK_URL = env.str(
    "LAPOR_MAP_LINK_URL", default="https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"
)


def _tile_origin(url: str) -> str:
    """'https://{s}.tile.example.org/{z}/{x}/{y}.png' → 'https://*.tile.example.org' (for img-src)."""
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if scheme and host and "{" not in host else ""


# Content-Security-Policy (django-csp) on every response that has none of its own (attachments
# set a stricter sandbox). No inline script or style anywhere: behaviour lives in static/js and
# is wired by data attributes; a script that must be inline carries {{ request.csp_nonce }}.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Bootstrap draws some icons as data: SVG; map tiles come from the tile server.
        "img-src": [SELF, "data:", *filter(None, [_tile_origin(LAPOR_MAP_TILE_URL)])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Features no page uses are switched off for the page and anything it could embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- Forms ---
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- LAPOR domain defaults (tunable per deployment; per-classification/agency limits live in the DB) ---
LAPOR_ATTACHMENT_MAX_BYTES = env.int("LAPOR_ATTACHMENT_MAX_BYTES", default=2 * 1024 * 1024)
LAPOR_ATTACHMENT_TYPES = env.list(
    "LAPOR_ATTACHMENT_TYPES", default=["image/jpeg", "image/png", "image/webp", "application/pdf"]
)
# Images with more pixels are refused from their header, before anything is decoded (a small PNG
# can declare 30000×30000 pixels and take gigabytes to decode); Pillow's own guard is set to it too.
LAPOR_IMAGE_MAX_PIXELS = env.int("LAPOR_IMAGE_MAX_PIXELS", default=40_000_000)
LAPOR_MAX_BOUNCES = env.int("LAPOR_MAX_BOUNCES", default=3)
# Key of the permutation that turns a report's id into its tracking number (complaints.models.
# tracking_number_for). Set it once and never change it: another key numbers new reports differently,
# and a new number may then equal an old one (the unique constraint refuses it). Default: derived
# from DJANGO_SECRET_KEY.
LAPOR_TRACKING_KEY = env.str("LAPOR_TRACKING_KEY", default="")
LAPOR_MAX_REOPENS = env.int("LAPOR_MAX_REOPENS", default=2)
LAPOR_REOPEN_WINDOW_DAYS = env.int("LAPOR_REOPEN_WINDOW_DAYS", default=30)
# Report list exports: up to this many rows are built during the request; larger ones by a Celery
# task with a progress page. Finished files are kept this many days.
LAPOR_EXPORT_INLINE_MAX = env.int("LAPOR_EXPORT_INLINE_MAX", default=5000)
LAPOR_EXPORT_KEEP_DAYS = env.int("LAPOR_EXPORT_KEEP_DAYS", default=7)
LAPOR_EXPORT_ACTIVE_MAX = env.int("LAPOR_EXPORT_ACTIVE_MAX", default=2)  # unfinished jobs per user
# A running export whose build has written no heartbeat for this long lost its worker: it is built
# again (up to LAPOR_EXPORT_MAX_ATTEMPTS builds in all), then marked failed with a message.
LAPOR_EXPORT_STALE_SECONDS = env.int("LAPOR_EXPORT_STALE_SECONDS", default=180)
LAPOR_EXPORT_MAX_ATTEMPTS = env.int("LAPOR_EXPORT_MAX_ATTEMPTS", default=2)
# Dashboard figures of yesterday and today rebuilt when a dashboard is read and something happened
# since their last rebuild. The embedded mode has no beat to rebuild them every 10 minutes, so it is on
# there; with Redis (production) the beat keeps them fresh and a dashboard read stays cheap.
LAPOR_STATS_REBUILD_ON_READ = env.bool("LAPOR_STATS_REBUILD_ON_READ", default=not REDIS_URL)
# Mounts the bench-only views of lapor/bench_views.py (bench/run_bench.py sets it; never in production).
LAPOR_BENCH_VIEWS = env.bool("LAPOR_BENCH_VIEWS", default=False)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Logging ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "celery": {"level": "WARNING"}},
}

# SQLite cannot build UNIQUE ... NULLS NOT DISTINCT; PostgreSQL (production, CI) enforces it. Nor an index's
# INCLUDE columns (report_agency_queue: SQLite builds its key columns only; PostgreSQL reads the tabs from it).
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

# --- Integration API, Open311 and open data (api app, docs/api.md) ---
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=60)  # requests per key per window
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)  # seconds
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=12 * 1024 * 1024)
# Wrong or revoked keys tolerated per client address per window (seconds), then 429.
API_BAD_KEY_LIMIT = env.int("API_BAD_KEY_LIMIT", default=20)
API_BAD_KEY_WINDOW = env.int("API_BAD_KEY_WINDOW", default=600)
API_MAX_ATTACHMENTS = env.int("API_MAX_ATTACHMENTS", default=5)
# The changes feed lists a row once it is this old: a write transaction still open then is rare.
API_FEED_SETTLE_SECONDS = env.int("API_FEED_SETTLE_SECONDS", default=2)
API_WEBHOOK_TIMEOUT = env.int("API_WEBHOOK_TIMEOUT", default=10)
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=20)  # then the sweep gives up
API_WEBHOOK_KEEP_DAYS = env.int("API_WEBHOOK_KEEP_DAYS", default=30)  # finished deliveries kept
# Webhooks to loopback/private addresses are refused (SSRF) unless this is set.
API_WEBHOOK_ALLOW_PRIVATE = env.bool("API_WEBHOOK_ALLOW_PRIVATE", default=False)
API_CONTACT = env.str("API_CONTACT", default="LAPOR! <api@lapor.test>")
# Not under a served URL: files leave only through api.views.open_data_file.
OPEN_DATA_ROOT = str(env.path("OPEN_DATA_ROOT", default=BASE_DIR / "media" / "open-data"))
OPEN_DATA_KEEP = env.int("OPEN_DATA_KEEP", default=7)  # days of files kept

# --- Messaging channels (channels app; README "Messaging channels"). Each is off until configured. ---
# E-mail: the mailbox citizens write to, polled over IMAP (imaps://user:pass@host:993/INBOX, or
# imap+starttls://…); answers leave through the mail settings above, from this address.
LAPOR_EMAIL_IMAP_URL = env.str("LAPOR_EMAIL_IMAP_URL", default="")
LAPOR_EMAIL_ADDRESS = env.str("LAPOR_EMAIL_ADDRESS", default="")
# SMS: "gammu" (Gammu SMSD's SQL database: sqlite:////var/spool/gammu/smsd.db or postgres://…) or
# "http" (a hosted gateway: outbound POSTs to LAPOR_SMS_HTTP_URL, inbound to /kanal/sms/).
LAPOR_SMS_BACKEND = env.str("LAPOR_SMS_BACKEND", default="")
LAPOR_SMS_GAMMU_DATABASE_URL = env.str("LAPOR_SMS_GAMMU_DATABASE_URL", default="")
LAPOR_SMS_HTTP_URL = env.str("LAPOR_SMS_HTTP_URL", default="")
LAPOR_SMS_HTTP_TOKEN = env.str("LAPOR_SMS_HTTP_TOKEN", default="")
LAPOR_SMS_MAX_LENGTH = env.int("LAPOR_SMS_MAX_LENGTH", default=160)
# Gammu: one answer goes as a concatenated SMS of at most this many parts (153 GSM-7 / 67 UCS-2 characters each).
LAPOR_SMS_MAX_PARTS = env.int("LAPOR_SMS_MAX_PARTS", default=4)
# WhatsApp Business Cloud API: the webhook is /kanal/whatsapp/.
LAPOR_WHATSAPP_API_URL = env.str("LAPOR_WHATSAPP_API_URL", default="https://graph.facebook.com/v21.0")
LAPOR_WHATSAPP_TOKEN = env.str("LAPOR_WHATSAPP_TOKEN", default="")
LAPOR_WHATSAPP_PHONE_NUMBER_ID = env.str("LAPOR_WHATSAPP_PHONE_NUMBER_ID", default="")
LAPOR_WHATSAPP_APP_SECRET = env.str("LAPOR_WHATSAPP_APP_SECRET", default="")
LAPOR_WHATSAPP_VERIFY_TOKEN = env.str("LAPOR_WHATSAPP_VERIFY_TOKEN", default="")
# Abuse limits and defaults of a report filed by message.
LAPOR_CHANNEL_RATE = env.int("LAPOR_CHANNEL_RATE", default=30)  # messages per sender per hour answered
LAPOR_CHANNEL_REPORTS_PER_DAY = env.int("LAPOR_CHANNEL_REPORTS_PER_DAY", default=5)
LAPOR_CHANNEL_MIN_WORDS = env.int("LAPOR_CHANNEL_MIN_WORDS", default=3)  # a shorter first message gets help
LAPOR_CHANNEL_DEFAULT_CATEGORY = env.str("LAPOR_CHANNEL_DEFAULT_CATEGORY", default="lainnya-umum")
LAPOR_CHANNEL_TIMEOUT = env.int("LAPOR_CHANNEL_TIMEOUT", default=15)  # seconds, any provider call
