"""Production entry point: ``gunicorn --workers 3 wsgi:app`` (see the README's deployment notes)."""

from portal import create_app

app = create_app()
