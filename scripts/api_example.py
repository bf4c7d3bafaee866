#!/usr/bin/env python3
"""A chair's script against the portal's JSON API (docs/guide/api.md): adapt it to your workshop.

    export PORTAL_URL=https://portal.example.org PORTAL_TOKEN=llmp_...   # a write token from your account page
    python scripts/api_example.py invite reviewers.csv        # name,email per line: one invitation each
    python scripts/api_example.py reviews reviews.csv         # every review of the papers you handle, one row each
    python scripts/api_example.py decisions decisions.csv     # number,decision,presentation,note per line

It needs only ``requests``. Each call says what it did; a refusal prints the portal's own sentence (the API answers
problems as RFC 9457 problem details) and the script goes on with the next line.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import requests


class Portal:
    """The API at ``url`` with a personal access token."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for _ in range(5):
            response = self.http.request(method, self.base + path, timeout=60, **kwargs)
            if response.status_code != 429:  # the limit per token: wait as told, then ask again
                return response
            time.sleep(int(response.headers.get("Retry-After", "5")))
        return response

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list, following its cursors."""
        while True:
            response = self.call("GET", path, params=params)
            response.raise_for_status()
            body = response.json()
            yield from body["items"]
            if not body.get("next_cursor"):
                return
            params = {**params, "cursor": body["next_cursor"]}


def problem(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    found = "; ".join(f"{e.get('pointer') or e.get('parameter')}: {e['detail']}" for e in body.get("errors") or [])
    return body.get("detail", "") + (f" ({found})" if found else "")


def invite(portal: Portal, path: str) -> int:
    """Invite the people of a CSV file (name,email; a header line is fine), 500 at a time."""
    with open(path, newline="", encoding="utf-8") as fh:
        people = [{"name": row[0].strip(), "email": row[1].strip()} for row in csv.reader(fh) if len(row) >= 2 and "@" in row[1]]
    for start in range(0, len(people), 500):
        response = portal.call("POST", "/invitations", json={"people": people[start : start + 500]})
        if response.status_code != 201:
            print(f"refused: {problem(response)}", file=sys.stderr)
            return 1
        body = response.json()
        for made in body["invited"]:
            print(f"invited {made['email']}")
        for skipped in body["skipped"]:
            print(f"skipped {skipped['email']}: {skipped['problem']}")
    return 0


def reviews(portal: Portal, path: str) -> int:
    """Every review of the papers you handle, one row each, a column per field of the review form."""
    rows = list(portal.pages("/reviews", limit=200))
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row["answers"] if k not in keys]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["number", "reviewer", "ordinal", "state", "submitted_at", *keys])
        for row in rows:
            answers = [row["answers"].get(k) for k in keys]
            cells = ["; ".join(map(str, a)) if isinstance(a, list) else "" if a is None else a for a in answers]
            # A cell a spreadsheet would run as a formula is written as text.
            cells = ["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in cells]
            out.writerow([row["number"], row["reviewer"], row["ordinal"], row["state"], row["submitted_at"], *cells])
    print(f"wrote {len(rows)} reviews to {path}")
    return 0


def decisions(portal: Portal, path: str) -> int:
    """Record the decisions of a CSV file: number,decision,presentation,note (decision accepted or rejected;
    presentation oral or poster for an accepted paper, else empty)."""
    failed = 0
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row or not row[0].strip().lstrip("#").isdigit():
                continue  # a header or an empty line
            number = int(row[0].strip().lstrip("#"))
            decision = (row[1].strip().lower() if len(row) > 1 else "") or None
            presentation = (row[2].strip().lower() if len(row) > 2 else "") or None
            note = row[3].strip() if len(row) > 3 else ""
            current = portal.call("GET", f"/submissions/{number}")
            if current.status_code != 200:
                print(f"#{number}: {problem(current)}", file=sys.stderr)
                failed += 1
                continue
            body = {"decision": decision, "presentation": presentation, "note": note}
            response = portal.call(
                "PUT", f"/submissions/{number}/decision", json=body, headers={"If-Match": current.headers["ETag"]}
            )
            if response.status_code == 200:
                print(f"#{number}: {decision or 'no decision'}" + (f" ({presentation})" if presentation else ""))
            else:
                print(f"#{number}: {problem(response)}", file=sys.stderr)
                failed += 1
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["invite", "reviews", "decisions"])
    parser.add_argument("csv", help="the CSV file to read (invite, decisions) or write (reviews)")
    parser.add_argument("--url", default=os.environ.get("PORTAL_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--token", default=os.environ.get("PORTAL_TOKEN"), help="default: $PORTAL_TOKEN")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give a token: --token or PORTAL_TOKEN (make one on your account page, with the write scope)")
    portal = Portal(args.url, args.token)
    return {"invite": invite, "reviews": reviews, "decisions": decisions}[args.action](portal, args.csv)


if __name__ == "__main__":
    sys.exit(main())
