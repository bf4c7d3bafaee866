"""Default settings. ``instance/config.py`` overrides them, then any ``PORTAL_<KEY>`` environment variable.

The settings table of the documentation (docs/admin/settings.md) is generated from this file by
docs/hooks/settings.py, which reads it with ``ast`` and never imports it. A key's description is the ``#:``
comment lines just above it (and a ``#:`` comment at the end of its line); a ``#: Default:`` line says in words
what the default is where the value alone does not. Plain ``#`` comments are notes for the reader of the code and
are left out. Every key needs a description: tests/unit/test_docs.py checks it.
"""

from __future__ import annotations

import os

#: The value that marks "no secret key configured". The app refuses to start with it outside debug/testing.
DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - a sentinel, refused in production  # nosec B105
#: Where links in mail point in debug/testing when neither BASE_URL nor SERVER_NAME is set: `flask run`'s address.
LOCAL_BASE_URL = "http://127.0.0.1:5000"


class Config:
    #: Signs sessions and CSRF tokens; required outside debug/testing.
    #: Default: none usable (`make run` generates one into `instance/config.py`)
    SECRET_KEY = DEFAULT_SECRET_KEY
    # None means: SQLite file instance/portal.sqlite3 (set in create_app, where the instance path is known).
    #: The database; PostgreSQL: `postgresql+psycopg://user@host/db` (install the `postgres` extra).
    #: Default: `sqlite:///instance/portal.sqlite3`
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: Passed to SQLAlchemy's `create_engine`.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    #: The workshop's content file, loaded by `flask content load` and `flask demo`.
    #: Default: `content/longllm-2024.toml`
    CONTENT_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "content", "longllm-2024.toml")

    #: The site's public address (`https://portal.example.org`, a path after the host allowed); required outside
    #: debug/testing. Every link in mail, from a request, a worker or a command, is built from it, never from a
    #: request's Host or X-Forwarded-Host header. In debug/testing when unset: `SERVER_NAME` (with
    #: `PREFERRED_URL_SCHEME`), else `http://127.0.0.1:5000`.
    #: Default: none (`make run` sets `http://127.0.0.1:5000`)
    BASE_URL: str | None = None
    #: The hosts a request may name (Flask's setting; port not compared; `.example.org` takes its subdomains too);
    #: a request for another host gets the 400 page and nothing else happens. A list
    #: (`'["portal.example.org", "10.0.0.5"]'`) or names with commas; add the address a health check or a monitor
    #: uses when it is not `BASE_URL`'s host.
    #: Default: `BASE_URL`'s host outside debug/testing; any host in them
    TRUSTED_HOSTS: list[str] | None = None

    # Mail: Flask-Mail over SMTP. Every mail goes through the outbox table first.
    #: SMTP host.
    MAIL_SERVER = "127.0.0.1"
    #: SMTP port.
    MAIL_PORT = 25
    #: STARTTLS.
    MAIL_USE_TLS = False
    #: Implicit TLS.
    MAIL_USE_SSL = False
    #: SMTP login, used when both it and `MAIL_PASSWORD` are set.
    MAIL_USERNAME: str | None = None
    #: SMTP password, used when both it and `MAIL_USERNAME` are set.
    MAIL_PASSWORD: str | None = None
    #: The From of every mail.
    MAIL_DEFAULT_SENDER = "LongLLM 2024 <noreply@longllm.example.org>"
    MAIL_TIMEOUT = 10  #: seconds for an SMTP connection before the delivery counts as failed
    MAIL_MAX_ATTEMPTS = 8  #: deliveries tried before a mail is marked failed and left for a human

    #: Rate-limit counters (Flask-Limiter). `memory://` is per process; use `redis://127.0.0.1:6379/0` for
    #: several workers. Becomes `REDIS_URL` when that is set.
    RATELIMIT_STORAGE_URI = "memory://"
    # Said here, not left to Flask-Limiter's default: its one Limiter object keeps the last app's setting, so an
    # app created with the limits off (a test's) would switch them off for every app created after it.
    #: Whether rate limits apply at all (tests switch them off).
    RATELIMIT_ENABLED = True
    #: Redis for background jobs and rate limits (`redis://127.0.0.1:6379/0`; install the `redis` extra): the long
    #: work runs on RQ workers (`flask --app portal worker`). Unset: jobs run in the request.
    REDIS_URL: str | None = None
    #: The RQ queue's name.
    JOBS_QUEUE = "portal"
    JOBS_TIMEOUT = 1800  #: seconds a job may run before RQ stops it (the assignment at NeurIPS size: minutes)
    #: Seconds a queued job may wait with no entry in the job queue (Redis restarted without persistence, a process
    #: killed between the commit and the queueing, or, without Redis, not run by the request that recorded it)
    #: before its page says it is lost and offers Retry; it then no longer blocks its kind.
    JOBS_LOST_AFTER = 120
    #: Seconds to wait for Redis to accept a connection (for the rate limits, also to answer) before counting it as
    #: down and going on without it (limits counted per process, a job run in the request or marked failed for a
    #: retry), so a Redis that does not answer never holds a request longer than this.
    REDIS_TIMEOUT = 2.0
    #: Send `X-RateLimit-*` headers.
    RATELIMIT_HEADERS_ENABLED = True
    #: Contact-form posts per IP address (reading the page is never limited).
    CONTACT_RATE_LIMIT = "5 per hour; 20 per day"
    #: Posts per IP address to the forms that send mail to an address the visitor types (register, resend
    #: confirmation, reset).
    ACCOUNT_MAIL_RATE_LIMIT = "10 per hour; 50 per day"
    #: PDF checks (a paper, supplementary or camera-ready upload) per signed-in account, counted in the rate-limit
    #: storage, so across workers with Redis.
    PDF_CHECK_RATE_LIMIT = "30 per 10 minutes; 200 per day"
    #: Requests to the JSON API (/api/v1/) per personal access token (without one: per address), in Flask-Limiter's
    #: notation.
    API_RATE_LIMIT = "600 per minute; 20000 per day"
    #: Notices to people newly listed as authors (mail to addresses an author typed) an account may cause per hour,
    #: counted in the outbox, so across every worker; past it the save is refused.
    COAUTHOR_NOTICES_PER_HOUR = 50

    #: Requests larger than this many bytes (64 MB) get the friendly 413 page (uploads have their own, smaller,
    #: limit).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    # Cookies: HttpOnly and SameSite=Lax always; Secure unless in debug or testing (None = decide at start).
    #: The session cookie is out of reach of scripts.
    SESSION_COOKIE_HTTPONLY = True
    #: The session cookie's SameSite flag.
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Send the session cookie over https only (`make run` turns it off: plain http on loopback).
    #: Default: `true` outside debug/testing, `false` in them
    SESSION_COOKIE_SECURE: bool | None = None
    #: The "keep me signed in" cookie is out of reach of scripts.
    REMEMBER_COOKIE_HTTPONLY = True
    #: The "keep me signed in" cookie's SameSite flag.
    REMEMBER_COOKIE_SAMESITE = "Lax"

    #: Number of trusted proxies in front of the app; only then is `X-Forwarded-For` believed (0: trust none).
    PROXY_FIX_X_FOR = 0

    # Accounts. Sign-in failures allowed per account and per IP address within the window (seconds); a
    # venue's shared network puts many people behind one address, hence the higher per-IP figure.
    #: Werkzeug's password hashing method.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash algorithm name, not a password  # nosec B105
    #: Failed sign-ins per account within the window before signing in pauses.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
    #: Failed sign-ins per IP address within the window (higher: a venue's network puts many people behind one
    #: address).
    LOGIN_MAX_FAILURES_PER_IP = 30
    #: The window of the sign-in failures, in seconds (15 minutes).
    LOGIN_FAILURE_WINDOW = 15 * 60
    #: How long "keep me signed in" lasts, in seconds (30 days).
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    #: Rows per page of the members list.
    MEMBERS_PER_PAGE = 50

    # Uploads: files live under UPLOAD_FOLDER (default instance/uploads). The PDF check runs in a child
    # process with these limits. A form may have this many fields (a long author list has three each).
    #: Where uploaded files are kept (a shared volume serves several machines).
    #: Default: `instance/uploads`
    UPLOAD_FOLDER: str | None = None
    # Werkzeug's default writes anything over 500 KB to a temporary file, which the view then reads back whole.
    #: An uploaded file up to this many MB stays in memory while the form is read; a larger one goes to a
    #: temporary file.
    UPLOAD_MEMORY_MB = 20
    #: Seconds the child process that checks a PDF may run.
    PDF_CHECK_TIMEOUT = 20
    #: Memory, in MB, the child process that checks a PDF may use.
    PDF_CHECK_MEMORY_MB = 1024
    #: With `REDIS_URL`: a double-blind paper of this many MB or more gets its reviewers' copy (metadata removed)
    #: from a worker.
    PDF_BACKGROUND_MB = 5
    #: Fields a form may post (a long author list has three per author).
    MAX_FORM_PARTS = 40_000
    #: Public pages are served to anonymous visitors from a copy at most this many seconds old (0: never).
    PUBLIC_CACHE_SECONDS = 5

    # Templates chairs write (decision letters, group mail): one render may build no string, list or output longer
    # than this many characters (1 MB of plain text), and may run for at most this many seconds of wall clock.
    # A letter template is checked on sample data when saved, then on every paper's letter; a group mail for every
    # recipient when previewed, sent, and written out by its job. Over either: refused with a message, nothing sent.
    #: Characters (1 MB of plain text) a chair's template (letter, group mail) may render, and the longest string
    #: or list it may build on the way.
    CHAIR_TEMPLATE_MAX_OUTPUT = 1_000_000
    #: Seconds one render of a chair's template may take (wall clock).
    CHAIR_TEMPLATE_MAX_SECONDS = 2.0

    #: How long a form's CSRF token stays valid, in seconds (8 hours: a form left open over a working day still
    #: posts).
    WTF_CSRF_TIME_LIMIT = 8 * 3600


#: ``app.extensions`` key (not a setting): the messages of the settings an app built for ``flask --help`` lacks;
#: ``create_app`` writes it, the commands read it.
MISSING_SETTINGS = "portal.missing_settings"
