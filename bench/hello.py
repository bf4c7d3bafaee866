"""The bare Flask "hello" app that the public pages are compared with (same gunicorn settings)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
