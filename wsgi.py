"""Production entry point: ``gunicorn --workers 3 wsgi:app`` (see the README's deployment notes).

Settings come from ``instance/config.py`` and ``PORTAL_*`` variables; the app refuses to start without a secret key
(``PORTAL_SECRET_KEY``) and the site's public address (``PORTAL_BASE_URL``, such as https://portal.example.org),
which every link in mail is built from and whose host is the only one it answers to.
"""

from portal import create_app

app = create_app()
