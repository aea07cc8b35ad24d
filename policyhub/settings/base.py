"""Settings shared by every environment.

Values that differ per deployment come from environment variables through the
typed readers in ``environment``; each accepts a ``*_FILE`` variant.
"""

from pathlib import Path

import dj_database_url
from django.contrib.auth.password_validation import CommonPasswordValidator

from .environment import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("POLICYHUB_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "policyhub.accounts",
    "policyhub.policies",
    "policyhub.attestations",
    "policyhub.exports",
    "policyhub.portal",
    "policyhub.audit",
    "policyhub.notifications",
    "policyhub.exceptions",
    "policyhub.changes",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "simple_history",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "django_password_validators.password_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # allauth's session list formats times with humanize.
    "django.contrib.humanize",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "policyhub.portal.admin_access.AdminAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "policyhub.portal.csp.PolicyHubCSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "policyhub.accounts.middleware.SessionTimeoutMiddleware",
    "policyhub.accounts.middleware.RequiredActionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # django-axes turns a lockout into its own response, so it comes last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "policyhub.urls"
WSGI_APPLICATION = "policyhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "policyhub.portal.context_processors.portal",
            ],
        },
    },
]

# Database: PostgreSQL through DATABASE_URL in production and CI; without it,
# an embedded SQLite file for the one-command demo.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "policyhub.sqlite3",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: the embedded demo (no DATABASE_URL) runs tasks in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not DATABASE_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 100
# A task taken by a worker that dies unacknowledged goes back on the queue
# after this many seconds. It must exceed the longest task's run time, or a
# live task would be handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 30 * 60, minimum=60),
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it rejects locked-out accounts and addresses before
    # any other backend checks the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
WAGTAILADMIN_LOGIN_URL = "account_login"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous object permissions.

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    {
        "NAME": "policyhub.accounts.validators.CommonPasswordVariantValidator",
        "OPTIONS": {
            "password_list_path": env_str(
                "PASSWORD_COMMON_LIST_PATH",
                CommonPasswordValidator.DEFAULT_PASSWORD_LIST_PATH,
            )
        },
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "django_password_validators.password_character_requirements"
        ".password_validation.PasswordCharacterValidator",
        "OPTIONS": {
            "min_length_digit": env_int("PASSWORD_MIN_DIGITS", 1, minimum=0),
            "min_length_alpha": 0,
            "min_length_special": env_int("PASSWORD_MIN_SYMBOLS", 1, minimum=0),
            "min_length_lower": env_int("PASSWORD_MIN_LOWER", 1, minimum=0),
            "min_length_upper": env_int("PASSWORD_MIN_UPPER", 1, minimum=0),
            # Every printable ASCII character that is not a letter or digit,
            # including the space.
            "special_characters": " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        },
    },
    {
        "NAME": "django_password_validators.password_history"
        ".password_validation.UniquePasswordsValidator",
        "OPTIONS": {"last_passwords": env_int("PASSWORD_HISTORY_COUNT", 5, minimum=1)},
    },
]

# django-allauth: sign-in by email address, verified before first access;
# accounts are provisioned by administrators, so self sign-up is closed.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "policyhub.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", 8 * 3600, minimum=60)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
# Date inputs render as ISO dates, the only value browsers show in type=date.
FORMAT_MODULE_PATH = ["policyhub.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "policyhub" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Uploaded files: PDFs for verification are read into memory up to this size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
POLICYHUB_VERIFY_MAX_BYTES = env_int("POLICYHUB_VERIFY_MAX_BYTES", 20 * 1024 * 1024)

WAGTAIL_SITE_NAME = "PolicyHub"
WAGTAILADMIN_BASE_URL = env_str("POLICYHUB_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_WORKFLOW_CANCEL_ON_PUBLISH = True
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt", "png", "jpg"]

# Groups that may give management approval of a policy (its approver group).
POLICYHUB_APPROVER_GROUPS = env_list("POLICYHUB_APPROVER_GROUPS", ["Approvers"])

# Organisation-specific values filled into the seed policies and PDFs.
POLICYHUB_ORGANISATION_NAME = env_str("POLICYHUB_ORGANISATION_NAME", "Example Bank plc")

# Signing certificate for published PDFs: a PKCS#12 file and its passphrase.
POLICYHUB_SIGNING_P12 = Path(
    env_str("POLICYHUB_SIGNING_P12", str(VAR_DIR / "signing" / "policyhub-signing.p12"))
)
POLICYHUB_SIGNING_PASSPHRASE = env_str("POLICYHUB_SIGNING_PASSPHRASE", "")

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "policyhub@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and its font subsetter log every step at INFO.
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}

# Policy approval: edits made during review need every step approved again,
# and the finished workflow publishes through PolicyHub's own action, which
# records the immutable PolicyVersion.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAIL_FINISH_WORKFLOW_ACTION = "policyhub.policies.publishing.publish_approved_revision"

# Change management (policyhub.changes).
# Risk matrix: impact -> likelihood -> risk level (low, medium, high, critical).
CHANGES_RISK_MATRIX = {
    "low": {"low": "low", "medium": "low", "high": "medium"},
    "medium": {"low": "low", "medium": "medium", "high": "high"},
    "high": {"low": "medium", "medium": "high", "high": "critical"},
}
# CAB quorum: "all" eligible members approve, a "majority" of them, or at
# least CHANGES_QUORUM_PERCENTAGE per cent of them ("percentage").
CHANGES_QUORUM_RULE = env_str("CHANGES_QUORUM_RULE", "majority")
CHANGES_QUORUM_PERCENTAGE = env_int("CHANGES_QUORUM_PERCENTAGE", 66, minimum=1)
# Changes at these risk levels also need an approval from each mandatory
# approver: every member of CHANGES_MANDATORY_APPROVER_GROUP (for example a
# "CISO" group) and every user named in CHANGES_MANDATORY_APPROVER_USERNAMES.
CHANGES_MANDATORY_APPROVAL_RISK_LEVELS = env_list(
    "CHANGES_MANDATORY_APPROVAL_RISK_LEVELS", ["high", "critical"]
)
CHANGES_MANDATORY_APPROVER_GROUP = env_str("CHANGES_MANDATORY_APPROVER_GROUP", "")
CHANGES_MANDATORY_APPROVER_USERNAMES = env_list("CHANGES_MANDATORY_APPROVER_USERNAMES", [])
# Days after implementation within which the full CAB must review an emergency change.
CHANGES_EMERGENCY_REVIEW_DAYS = env_int("CHANGES_EMERGENCY_REVIEW_DAYS", 5, minimum=1)
# Attachments: the extension must be on the list and the content must match it.
CHANGES_ATTACHMENT_MAX_BYTES = env_int("CHANGES_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
CHANGES_ATTACHMENT_EXTENSIONS = env_list(
    "CHANGES_ATTACHMENT_EXTENSIONS", ["pdf", "png", "jpg", "jpeg", "txt", "csv", "docx", "xlsx"]
)
# Office attachments are ZIP archives; this bounds what they may unpack to.
CHANGES_ATTACHMENT_MAX_UNPACKED_BYTES = env_int(
    "CHANGES_ATTACHMENT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024
)
# Weekday (0 = Monday) and time of the regular CAB meeting, for the agenda.
CHANGES_CAB_MEETING_WEEKDAY = env_int("CHANGES_CAB_MEETING_WEEKDAY", 1, minimum=0)
CHANGES_CAB_MEETING_TIME = env_str("CHANGES_CAB_MEETING_TIME", "10:00")

# Identity and access: password expiry, lockout, sessions and MFA. Every value
# can be changed per deployment; docs/identity.md describes each one.
import datetime as _datetime  # noqa: E402

PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0: never

# django-axes: 5 consecutive failures lock the account and, separately, the
# client address; the lock lifts after 30 minutes or when an administrator
# resets it. A successful sign-in resets the account's counter.
AXES_FAILURE_LIMIT = env_int("LOCKOUT_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = _datetime.timedelta(
    minutes=env_int("LOCKOUT_COOLOFF_MINUTES", 30, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "policyhub.accounts.lockout.account_key"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_ENABLE_ADMIN = False
# django-axes owns the failed sign-in limit (stored in the database, audited and
# unlockable by administrators), so allauth's cache-based one is switched off.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# The client address comes from X-Forwarded-For only when the deployment names
# how many trusted proxies stand in front of PolicyHub; otherwise a client
# could choose its own address by sending the header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_PROXY_TRUSTED_IPS = env_list("TRUSTED_PROXY_IPS", []) or None
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Sessions end after SESSION_IDLE_TIMEOUT_SECONDS without a request and
# SESSION_COOKIE_AGE (the absolute timeout, set above) after sign-in.
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 15 * 60, minimum=60)
# Last activity is written to the session at most this often, so ordinary
# page views do not each cost a session write.
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60

# allauth.mfa: TOTP with recovery codes, and WebAuthn security keys.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = WAGTAIL_SITE_NAME
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", False)
MFA_ENFORCED = env_bool("MFA_ENFORCED", True)
MFA_REQUIRED_FOR_ALL = env_bool("MFA_REQUIRED_FOR_ALL", False)
MFA_REQUIRED_GROUPS = env_list(
    "MFA_REQUIRED_GROUPS",
    ["Approvers", "Compliance Admins", "Auditors", "CAB", "Emergency CAB"],
)
# Approving a policy step needs a password or MFA check this recent.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int(
    "REAUTHENTICATION_TIMEOUT_SECONDS", 5 * 60, minimum=30
)

# Stateless web processes (deployment). With Redis, sessions are read from the
# Redis cache and written through to the database, so any web replica can
# serve any request, and a Redis restart signs no user out. The Redis cache
# above also stores every cache-based counter, such as rate limits.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Uploaded files and signed PDFs: an S3-compatible bucket when
# AWS_STORAGE_BUCKET_NAME is set (django-storages), otherwise MEDIA_ROOT on
# local disk. Without AWS_ACCESS_KEY_ID, boto3 finds credentials itself:
# workload identity (AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE), the
# container or instance role. docs/operations.md lists the variables.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _server_side_encryption = env_str("AWS_S3_SERVER_SIDE_ENCRYPTION", "")
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "location": env_str("AWS_S3_LOCATION", ""),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "default_acl": None,
            "querystring_auth": True,
            # A second render of the same PDF gets a new key instead of
            # replacing the first one. NOTE: S3Storage checks for a free name
            # before it uploads, so two renders in the same instant can still
            # pick the same key. The local FileSystemStorage cannot.
            "file_overwrite": False,
            "object_parameters": (
                {"ServerSideEncryption": _server_side_encryption}
                if _server_side_encryption
                else {}
            ),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Audit trail, request ids and logging (policyhub.audit).
from celery.schedules import crontab
from django_guid.integrations import CeleryIntegration

from policyhub.logging_config import build_logging

INSTALLED_APPS.append("django_guid")
# django-guid reads or creates the request id and returns it as X-Request-ID;
# the audit middleware copies it to request.request_id, times the request and
# records denied responses. Both come first so they see every response.
MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "policyhub.audit.middleware.AuditRequestMiddleware",
    *MIDDLEWARE,
]
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}
# JSON lines on stdout unless LOG_FORMAT=text; web, worker and beat all load
# these settings, and Celery keeps its hands off the root logger.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
if LOG_FORMAT not in ("json", "text"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is invalid; use json or text.")
# POLICYHUB_SERVICE names the process in each line: web, worker or beat.
LOGGING = build_logging(
    LOG_FORMAT == "json", env_str("LOG_LEVEL", "INFO"),
    service=env_str("POLICYHUB_SERVICE", "web"),
    environment=env_str("POLICYHUB_ENVIRONMENT", "production"),
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery would otherwise swap sys.stdout for a logger, and the handler above,
# which writes to sys.stdout, would then lose its lines.
CELERY_WORKER_REDIRECT_STDOUTS = False

# Events older than this many days are purged with a signed checkpoint;
# 0 keeps every event. The default keeps seven years.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 7 * 366, minimum=0)
# A 404 under these prefixes, for a signed-in person, is audited as denied.
AUDIT_PROTECTED_PATH_PREFIXES = ["/admin/", "/exports/", "/acknowledgements/",
                                 "/policies/", "/audit/", "/changes/", "/campaigns/"]
AUDIT_EXTRACT_MAX_EVENTS = env_int("AUDIT_EXTRACT_MAX_EVENTS", 5000, minimum=1)
AUDIT_LOG_REVIEW_PERIOD_MONTHS = {
    "security_events": env_int("AUDIT_SECURITY_REVIEW_MONTHS", 1, minimum=1),
    "privileged_access": env_int("AUDIT_PRIVILEGED_REVIEW_MONTHS", 3, minimum=1),
}
# Transactional tests restore serialized rows by UPDATE, which the audit
# tables' append-only trigger rejects, so their rows are left out.
AUDIT_LOG_REVIEW_DUE_DAYS = env_int("AUDIT_LOG_REVIEW_DUE_DAYS", 10, minimum=1)
CELERY_BEAT_SCHEDULE = globals().get("CELERY_BEAT_SCHEDULE", {})
CELERY_BEAT_SCHEDULE.update({
    "audit-write-checkpoint": {"task": "audit.write_checkpoint", "schedule": crontab(minute=5)},
    "audit-purge-expired-events": {
        "task": "audit.purge_expired_events", "schedule": crontab(hour=2, minute=15),
    },
    "audit-create-log-reviews": {
        "task": "audit.create_log_reviews", "schedule": crontab(hour=6, minute=0),
    },
    "audit-verify-trail": {"task": "audit.verify_trail", "schedule": crontab(hour=1, minute=45)},
    "audit-escalate-overdue-log-reviews": {
        "task": "audit.escalate_overdue_log_reviews", "schedule": crontab(hour=7, minute=0),
    },
})

# Attestation campaigns: reminders before the due date (days), on it and
# daily while overdue; escalation to the line manager this many days after
# the grace period ends; people per fan-out task.
POLICYHUB_CAMPAIGN_REMINDER_DAYS_BEFORE = [
    int(day) for day in env_list("POLICYHUB_CAMPAIGN_REMINDER_DAYS_BEFORE", ["7", "1"])
]
POLICYHUB_CAMPAIGN_ESCALATION_AFTER_DAYS = env_int(
    "POLICYHUB_CAMPAIGN_ESCALATION_AFTER_DAYS", 7, minimum=0
)
POLICYHUB_CAMPAIGN_FANOUT_BATCH_SIZE = env_int(
    "POLICYHUB_CAMPAIGN_FANOUT_BATCH_SIZE", 500, minimum=1
)
# Seconds the compliance dashboard's aggregate figures are cached; 0 turns
# the cache off.
POLICYHUB_DASHBOARD_CACHE_SECONDS = env_int(
    "POLICYHUB_DASHBOARD_CACHE_SECONDS", 60, minimum=0
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append(
    "policyhub.attestations.context_processors.campaigns"
)
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "campaign-reminders": {
        "task": "policyhub.attestations.tasks.dispatch_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "campaign-reopen-lapsed": {
        "task": "policyhub.attestations.tasks.reopen_lapsed_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "campaign-enrolment-sweep": {
        "task": "policyhub.attestations.tasks.enrol_open_campaigns_task",
        "schedule": 3600,
    },
}

# Documents uploaded for import in the admin: largest accepted file.
POLICYHUB_IMPORT_MAX_BYTES = env_int("POLICYHUB_IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# Policy exceptions (policyhub.exceptions): longest allowed duration, the risk
# levels that also need a member of the risk owner group, and how many days
# before the end date reminders go to the requester.
EXCEPTIONS_MAX_MONTHS = env_int("EXCEPTIONS_MAX_MONTHS", 12, minimum=1)
EXCEPTIONS_RISK_OWNER_GROUP = env_str("EXCEPTIONS_RISK_OWNER_GROUP", "Risk Owners")
EXCEPTIONS_RISK_OWNER_LEVELS = env_list("EXCEPTIONS_RISK_OWNER_LEVELS", ["high", "critical"])
EXCEPTIONS_REMINDER_DAYS = [
    int(days) for days in env_list("EXCEPTIONS_REMINDER_DAYS", ["30", "7", "1"])
]

CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "exceptions-expire-and-remind": {
        "task": "policyhub.exceptions.tasks.expire_exceptions",
        "schedule": crontab(hour=6, minute=30),
    },
}

# REST API (policyhub.api): API keys or the portal session, least-privilege
# scopes, rate limits per key and per address, and JSON errors.
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "policyhub.api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "policyhub.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # PolicyHub's own API views use policyhub.api.permissions.HasScopesAndPermissions;
    # this default covers DRF views of other packages, such as Wagtail's admin API.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "policyhub.api.throttling.KeyRateThrottle",
        "policyhub.api.throttling.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key_read": env_str("API_RATE_KEY_READ", "300/min"),
        "api_key_write": env_str("API_RATE_KEY_WRITE", "30/min"),
        "api_address_read": env_str("API_RATE_ADDRESS_READ", "600/min"),
        "api_address_write": env_str("API_RATE_ADDRESS_WRITE", "60/min"),
        # Failed key authentications per client address.
        "api_auth_failure": env_str("API_RATE_AUTH_FAILURE", "10/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "policyhub.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PolicyHub API",
    "DESCRIPTION": "Policies, acknowledgements, audit events and change requests. "
    "Authenticate with `Authorization: Api-Key ph_xxxxxxxx.<secret>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["policyhub.api.schema.only_policyhub_api"],
    "ENUM_NAME_OVERRIDES": {
        "RatingEnum": "policyhub.changes.risk.Rating",
        # Policy versions and change requests both have a "change_type" field.
        "PolicyChangeTypeEnum": "policyhub.policies.models.versions.ChangeType",
        "ChangeRequestTypeEnum": "policyhub.changes.models.change.ChangeType",
    },
}

# Content Security Policy (django-csp). Portal pages load scripts and styles
# only from this site and allow no inline script or style. A page whose
# template reads request.csp_nonce also allows scripts carrying that nonce.
from csp.constants import NONCE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin (7.4) sets style attributes from its JavaScript and embeds
# previews in frames of this site. It therefore needs 'unsafe-inline' for
# styles and same-origin frames, while scripts stay limited to this site.
POLICYHUB_ADMIN_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page of PolicyHub uses are switched off.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "fullscreen": ["self"],
}

# Security training (policyhub.training): reminders this many days before the
# due date, on it and daily while overdue; escalation to the line manager this
# many days after the due date. docs/training.md describes each setting.
INSTALLED_APPS += ["policyhub.training"]
TRAINING_REMINDER_DAYS_BEFORE = [
    int(day) for day in env_list("TRAINING_REMINDER_DAYS_BEFORE", ["7", "1"])
]
TRAINING_ESCALATION_AFTER_DAYS = env_int("TRAINING_ESCALATION_AFTER_DAYS", 7, minimum=0)
# Recurring training more than this many days overdue suspends the person's
# access to Confidential information until they complete it.
TRAINING_SUSPEND_AFTER_DAYS = env_int("TRAINING_SUSPEND_AFTER_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "training-daily": {
        "task": "policyhub.training.tasks.daily_training_task",
        "schedule": crontab(hour=7, minute=15),
    },
}
AUDIT_PROTECTED_PATH_PREFIXES = [*AUDIT_PROTECTED_PATH_PREFIXES, "/training/"]

# Data protection (policyhub.privacy): encrypted personal fields, retention
# periods, and TLS to Redis and PostgreSQL. docs/data-protection.md describes
# each setting and docs/operations.md the key rotation procedure.
from .protection import (  # noqa: E402
    celery_ssl_options,
    database_ssl_options,
    read_field_hash_key,
    read_field_keys,
    redis_cache,
)

INSTALLED_APPS += ["policyhub.privacy"]
# AES-256-GCM keys for encrypted fields, newest first: the first encrypts, every
# key decrypts. dev.py and test.py fill in fixed keys; production requires both.
POLICYHUB_FIELD_KEYS = read_field_keys()
# HMAC-SHA256 key of the lookup hashes stored beside encrypted values.
POLICYHUB_FIELD_HASH_KEY = read_field_hash_key()
# CA bundle that Redis's certificate must chain to (rediss:// URLs); empty
# means the system's CA store.
REDIS_TLS_CA_CERTS = env_str("REDIS_TLS_CA_CERTS", "")
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, REDIS_TLS_CA_CERTS)}
CELERY_BROKER_USE_SSL = celery_ssl_options(CELERY_BROKER_URL, REDIS_TLS_CA_CERTS)
CELERY_REDIS_BACKEND_USE_SSL = celery_ssl_options(
    CELERY_RESULT_BACKEND or "", REDIS_TLS_CA_CERTS
)
if DATABASE_URL:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        database_ssl_options(
            DATABASE_URL,
            env_str("DATABASE_SSLMODE", ""),
            env_str("DATABASE_SSLROOTCERT", ""),
        )
    )
# Retention periods in days, per kind of data; policyhub.privacy.retention
# applies them every night.
POLICYHUB_RETENTION_DAYS = {
    # Personal details of a deactivated account are replaced by a pseudonym.
    "deactivated_user": env_int("RETENTION_DEACTIVATED_USER_DAYS", 730, minimum=1),
    # Expired sessions, and the session list (address, browser) after sign-out.
    "sessions": env_int("RETENTION_SESSION_DAYS", 30, minimum=1),
    # Sign-in attempts and lockout records (addresses, browsers, user names).
    "login_attempts": env_int("RETENTION_LOGIN_ATTEMPT_DAYS", 90, minimum=1),
    # API keys, counted from their expiry or revocation.
    "api_keys": env_int("RETENTION_API_KEY_DAYS", 90, minimum=1),
    # Records of sent reminders and notices.
    "notifications": env_int("RETENTION_NOTIFICATION_DAYS", 400, minimum=1),
}
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "privacy-apply-retention": {
        "task": "policyhub.privacy.tasks.apply_retention_task",
        "schedule": crontab(hour=3, minute=10),
    },
}

# Procedures: documented operating procedures with scheduled, evidenced runs.
INSTALLED_APPS += ["policyhub.procedures"]
# Days before a run's due date on which its performer is reminded; overdue
# runs are reminded daily. An overdue run is escalated to the performer's
# line manager this many days after its due date, once per manager and day.
PROCEDURE_REMINDER_DAYS_BEFORE = [
    int(day) for day in env_list("PROCEDURE_REMINDER_DAYS_BEFORE", ["3", "1"])
]
PROCEDURE_ESCALATION_AFTER_DAYS = env_int("PROCEDURE_ESCALATION_AFTER_DAYS", 2, minimum=0)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    # Every 15 minutes, so cron schedules start runs within 15 minutes of
    # their time; the unique period key makes repeated ticks harmless.
    "procedures-create-due-runs": {
        "task": "policyhub.procedures.tasks.create_due_runs_task",
        "schedule": crontab(minute="*/15"),
    },
    "procedures-remind-and-escalate": {
        "task": "policyhub.procedures.tasks.remind_and_escalate_task",
        "schedule": crontab(hour=7, minute=30),
    },
}

# SCIM 2.0 provisioning (policyhub.scim) at /scim/v2/. Identity providers
# authenticate with an API key holding the "scim" scope, sent as a bearer
# token. SCIM may manage only the groups named here; docs/identity.md
# explains why Compliance Admins is left out by default.
from urllib.parse import urlsplit as _urlsplit  # noqa: E402

INSTALLED_APPS += ["policyhub.scim"]
SCIM_MANAGED_GROUPS = env_list(
    "SCIM_MANAGED_GROUPS", ["Employees", "Policy Owners", "Approvers", "Auditors"]
)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["scim"] = env_str("SCIM_RATE", "600/min")
_scim_base_url = _urlsplit(WAGTAILADMIN_BASE_URL)
SCIM_SERVICE_PROVIDER = {
    "SCHEME": _scim_base_url.scheme or "https",
    "NETLOC": _scim_base_url.netloc or "localhost",
    "USER_ADAPTER": "policyhub.scim.adapters.ScimUser",
    "GROUP_ADAPTER": "policyhub.scim.adapters.ScimGroup",
    "USER_FILTER_PARSER": "policyhub.scim.filters.UserFilterQuery",
    "GROUP_FILTER_PARSER": "policyhub.scim.filters.GroupFilterQuery",
    "AUTH_CHECK_MIDDLEWARE": "policyhub.scim.authentication.ScimBearerAuthentication",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": "policyhub.scim.filters.extra_filter_kwargs_getter",
    "GET_QUERYSET_POST_PROCESSOR_GETTER": "policyhub.scim.filters.queryset_post_processor_getter",
    "SERVICE_PROVIDER_CONFIG_MODEL": "policyhub.scim.config.ServiceProviderConfig",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "PolicyHub API key",
            "description": "An API key with the scim scope, sent as "
            "Authorization: Bearer ph_xxxxxxxx.<secret>.",
            "primary": True,
        }
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="PolicyHub SCIM"',
}

# Quarterly access reviews (policyhub.access_reviews): the review of the
# quarter that just ended starts on the first day of each quarter and is due
# this many business days after the quarter ends; reminders go out this many
# days before the due date, on it and daily after it; undecided rights
# escalate this many days after the due date. docs/access-reviews.md.
INSTALLED_APPS += ["policyhub.access_reviews"]
POLICYHUB_ACCESS_REVIEW_DUE_BUSINESS_DAYS = env_int(
    "POLICYHUB_ACCESS_REVIEW_DUE_BUSINESS_DAYS", 20, minimum=1
)
POLICYHUB_ACCESS_REVIEW_REMINDER_DAYS_BEFORE = [
    int(day) for day in env_list("POLICYHUB_ACCESS_REVIEW_REMINDER_DAYS_BEFORE", ["7", "1"])
]
POLICYHUB_ACCESS_REVIEW_ESCALATION_AFTER_DAYS = env_int(
    "POLICYHUB_ACCESS_REVIEW_ESCALATION_AFTER_DAYS", 3, minimum=0
)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "access-review-quarterly-start": {
        "task": "policyhub.access_reviews.tasks.start_quarterly_review_task",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "access-review-daily": {
        "task": "policyhub.access_reviews.tasks.daily_access_review_task",
        "schedule": crontab(hour=7, minute=30),
    },
}
AUDIT_PROTECTED_PATH_PREFIXES = [*AUDIT_PROTECTED_PATH_PREFIXES, "/access-reviews/"]
# TOTP secrets and recovery code seeds are stored encrypted with the field keys.
MFA_ADAPTER = "policyhub.accounts.mfa.EncryptingMFAAdapter"
AUDIT_PROTECTED_PATH_PREFIXES = [*AUDIT_PROTECTED_PATH_PREFIXES, "/privacy/"]

# Single sign-on with OpenID Connect (policyhub.sso, allauth's openid_connect
# provider). Off until POLICYHUB_OIDC_PROVIDERS or OIDC_SERVER_URL names a
# provider; docs/identity.md shows Azure AD and Okta examples.
from policyhub.sso.config import providers_from_environment  # noqa: E402

INSTALLED_APPS += [
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "policyhub.sso",
]
SOCIALACCOUNT_ADAPTER = "policyhub.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": providers_from_environment()}
}
# An identity provider's verified address signs in to the account with that
# address (and connects it); the adapter also requires PolicyHub's copy of
# the address to be verified.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("OIDC_REQUEST_TIMEOUT_SECONDS", 10, minimum=1)
# Create accounts for people the identity provider knows and PolicyHub does
# not; off, so only provisioned accounts (SCIM, HR import, admin) can sign in.
OIDC_ALLOW_SIGNUP = env_bool("OIDC_ALLOW_SIGNUP", False)
# Accept the identity provider's MFA in place of PolicyHub's own when the ID
# token's amr claim contains one of OIDC_MFA_AMR_VALUES; off, so users who
# need MFA still enter a PolicyHub TOTP code or use a security key.
OIDC_TRUST_IDP_MFA = env_bool("OIDC_TRUST_IDP_MFA", False)
OIDC_MFA_AMR_VALUES = env_list("OIDC_MFA_AMR_VALUES", ["mfa"])
