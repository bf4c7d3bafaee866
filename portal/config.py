"""Default settings. ``instance/config.py`` overrides them, then any ``PORTAL_<KEY>`` environment variable.

Each key is listed in the README's settings table; keep the two in step.
"""

from __future__ import annotations

import os

#: The value that marks "no secret key configured". The app refuses to start with it outside debug/testing.
DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - a sentinel, refused in production  # nosec B105
#: Where links in mail point in debug/testing when neither BASE_URL nor SERVER_NAME is set: `flask run`'s address.
LOCAL_BASE_URL = "http://127.0.0.1:5000"


class Config:
    SECRET_KEY = DEFAULT_SECRET_KEY
    # None means: SQLite file instance/portal.sqlite3 (set in create_app, where the instance path is known).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # The workshop's content file, loaded by `flask content load` and `flask demo`.
    CONTENT_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "content", "longllm-2024.toml")

    # The site's public address ("https://portal.example.org"): every link in mail, and in anything else sent
    # out, is built from it, never from a request's Host header. Required outside debug/testing; in them a missing
    # one becomes SERVER_NAME (with PREFERRED_URL_SCHEME), else LOCAL_BASE_URL.
    BASE_URL: str | None = None
    # The hosts a request may name (Flask's setting; ".example.org" also takes its subdomains). None: BASE_URL's
    # host outside debug/testing, any host in them. A request for another host gets the 400 page.
    TRUSTED_HOSTS: list[str] | None = None

    # Mail: Flask-Mail over SMTP. Every mail goes through the outbox table first.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "LongLLM 2024 <noreply@longllm.example.org>"
    MAIL_TIMEOUT = 10  # seconds for an SMTP connection before the delivery counts as failed
    MAIL_MAX_ATTEMPTS = 8  # after this many failures a mail is marked failed and left for a human

    # Rate limits (Flask-Limiter). memory:// is per process; use redis://127.0.0.1:6379/0 for several workers.
    RATELIMIT_STORAGE_URI = "memory://"  # becomes REDIS_URL when that is set
    # Said here, not left to Flask-Limiter's default: its one Limiter object keeps the last app's setting, so an
    # app created with the limits off (a test's) would switch them off for every app created after it.
    RATELIMIT_ENABLED = True
    # Background jobs: with REDIS_URL (redis://host:6379/0) the long work runs on RQ workers
    # (`flask --app portal worker`); without it, in the request. Rate limits are then kept in Redis too.
    REDIS_URL: str | None = None
    JOBS_QUEUE = "portal"
    JOBS_TIMEOUT = 1800  # seconds a job may run before RQ stops it (the assignment at NeurIPS size: minutes)
    # A job still waiting this many seconds after it was queued, with no entry in the job queue (Redis restarted
    # without persistence, a process killed between the commit and the queueing, or, without Redis, before
    # running it), is shown as lost with a Retry button, and no longer counts as under way: its kind may start again.
    JOBS_LOST_AFTER = 120
    # Seconds to wait for Redis to accept a connection (for the rate limits, also to answer) before counting it as
    # down: the request then goes on without it (limits counted per process, a job run in the request or marked
    # failed for a retry), and a Redis that does not answer never holds a request longer than this.
    REDIS_TIMEOUT = 2.0
    RATELIMIT_HEADERS_ENABLED = True
    CONTACT_RATE_LIMIT = "5 per hour; 20 per day"
    # Forms that send mail to an address the visitor types (register, resend, reset): per IP address.
    ACCOUNT_MAIL_RATE_LIMIT = "10 per hour; 50 per day"
    # PDF checks (a paper, supplementary or camera-ready upload) per signed-in account, in the rate-limit storage.
    PDF_CHECK_RATE_LIMIT = "30 per 10 minutes; 200 per day"
    # Notices to people newly listed as authors (mail to addresses an author typed): per account and hour,
    # counted in the outbox, so across every worker.
    COAUTHOR_NOTICES_PER_HOUR = 50

    # Requests larger than this get the friendly 413 page (uploads have their own, smaller, limit).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    # Cookies: HttpOnly and SameSite=Lax always; Secure unless in debug or testing (None = decide at start).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Number of proxies in front of the app whose X-Forwarded-For is trusted (0: trust none).
    PROXY_FIX_X_FOR = 0

    # Accounts. Sign-in failures allowed per account and per IP address within the window (seconds); a
    # venue's shared network puts many people behind one address, hence the higher per-IP figure.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash algorithm name, not a password  # nosec B105
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_FAILURE_WINDOW = 15 * 60
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    MEMBERS_PER_PAGE = 50

    # Uploads: files live under UPLOAD_FOLDER (default instance/uploads). The PDF check runs in a child
    # process with these limits. A form may have this many fields (a long author list has three each).
    UPLOAD_FOLDER: str | None = None
    # An uploaded file up to this size stays in memory while the form is parsed (werkzeug's default writes
    # anything over 500 KB to a temporary file, which the view then reads back whole).
    UPLOAD_MEMORY_MB = 20
    PDF_CHECK_TIMEOUT = 20
    PDF_CHECK_MEMORY_MB = 1024
    # With REDIS_URL: a double-blind paper this large gets its reviewers' copy (metadata removed) from a worker.
    PDF_BACKGROUND_MB = 5
    MAX_FORM_PARTS = 40_000
    # Public pages are served to anonymous visitors from a copy at most this many seconds old (0: never).
    PUBLIC_CACHE_SECONDS = 5

    # Templates chairs write (decision letters, group mail): one render may build no string, list or output longer
    # than this many characters (1 MB of plain text), and may run for at most this many seconds of wall clock.
    # A letter template is checked on sample data when saved, then on every paper's letter; a group mail for every
    # recipient when previewed, sent, and written out by its job. Over either: refused with a message, nothing sent.
    CHAIR_TEMPLATE_MAX_OUTPUT = 1_000_000
    CHAIR_TEMPLATE_MAX_SECONDS = 2.0

    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a form left open over a working day still posts
