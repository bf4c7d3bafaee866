"""A local SMTP sink for trying the portal: it prints every message it receives, decoded, and delivers none.

    make mail          # listens on 127.0.0.1:1025 (aiosmtpd, a dev dependency)
    make run MAIL=1    # in another terminal: the portal sends its mail here

Confirmation and password links are printed whole, ready to open. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import signal
import sys
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def describe(envelope_from: str, recipients: list[str], message: EmailMessage) -> str:
    """The message as a person reads it: envelope, subject, the text part (else the HTML), the attachments' names."""
    lines = [
        "=" * 78,
        f"From:    {message['From'] or envelope_from}",
        f"To:      {', '.join(recipients)}",
        f"Subject: {message['Subject']}",
        "",
    ]
    body = message.get_body(preferencelist=("plain", "html"))
    lines.append(body.get_content().rstrip("\n") if body is not None else "(no text)")
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    if attachments:
        lines += ["", f"Attached: {', '.join(attachments)}"]
    return "\n".join(lines)


class Printer:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        print(describe(envelope.mail_from, list(envelope.rcpt_tos), message), flush=True)  # type: ignore[arg-type]
        return "250 OK"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    controller = Controller(Printer(), hostname=args.host, port=args.port)
    try:
        controller.start()
    except OSError as exc:
        print(f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    run = "make run MAIL=1" + ("" if args.port == 1025 else f" MAIL_PORT={args.port}")
    print(f"Mail sink on {args.host}:{args.port}: start the portal with `{run}`. Ctrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as cleanly as Ctrl-C
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
