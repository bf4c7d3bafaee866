"""`make mail`'s sink (scripts/mailsink.py) prints what the portal sends, decoded: a link is printed whole."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage

from tests.conftest import ROOT, free_port


def test_mail_sink_prints_each_message_decoded() -> None:
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "mailsink.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        first = sink.stdout.readline()
        assert first == (
            f"Mail sink on 127.0.0.1:{port}: start the portal with `make run MAIL=1 MAIL_PORT={port}`. Ctrl-C stops it.\n"
        )
        link = "http://127.0.0.1:5000/auth/confirm/" + "x" * 90  # longer than a quoted-printable line
        message = EmailMessage()
        message["From"] = "LongLLM 2024 <noreply@longllm.example.org>"
        message["To"] = "Rosa Martínez <author6@example.org>"
        message["Subject"] = "Confirm your address, Rosa Martínez"
        message.set_content(f"Hello Rosa Martínez,\n\nOpen {link} to confirm.\n", cte="quoted-printable")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
        printed = [sink.stdout.readline() for _ in range(8)]
    finally:
        sink.send_signal(signal.SIGTERM)
        _, stderr = sink.communicate(timeout=10)

    assert printed == [
        "=" * 78 + "\n",
        "From:    LongLLM 2024 <noreply@longllm.example.org>\n",
        "To:      author6@example.org\n",
        "Subject: Confirm your address, Rosa Martínez\n",
        "\n",
        "Hello Rosa Martínez,\n",
        "\n",
        f"Open {link} to confirm.\n",
    ]
    assert (sink.returncode, stderr) == (0, "")
