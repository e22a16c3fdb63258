"""schemathesis against the OpenAPI document the web service serves, anonymous and as an admin.

    python -m bench.openapi_fuzz [--examples 200] [--seed N]

Starts ``python -m web`` on a private SQLite database in front of the fake Rasa, creates an admin,
and runs schemathesis's CLI (``st run``) twice against ``/api/v1/openapi.json``: anonymously, then
with the admin's session cookie and CSRF token. The checks: no 5xx (``not_a_server_error``),
every response as documented (status, content type, schema) and every request the document
allows accepted (``positive_data_acceptance``). The WebSocket routes are left out (schemathesis
speaks HTTP), and, as the admin, logging out and editing users (the run's own account among
them). tests/web/test_openapi_conformance.py runs the same with a few examples per operation;
this is the long run. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)
WEBSOCKETS = r"/(ws|live)$"
# As the admin: logging out would end the run's session; a user edit may lock its own account out.
ADMIN_LEAVES_OUT = ("delete~staff_session.logout", "patch~staff_admin.update_user")
ADMIN = ("fuzz-admin", "correct horse battery")


@dataclass(frozen=True)
class Run:
    who: str
    examples: int
    generated: int
    failures: int
    seconds: float
    exit_code: int
    output: str

    def figures(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "output"}


CONFIG = Path(__file__).with_name("schemathesis.toml")  # the few semantic refusals, each explained


def st_command() -> Path:
    return Path(sys.executable).with_name("st")


def add_admin(settings: Settings) -> None:
    db = Database.from_url(database_url(settings.database_url, settings.data_dir))
    try:
        with db.session(write=True) as session:
            accounts.create_user(session, ADMIN[0], ADMIN[1], role=StaffRole.ADMIN, teams=["service-desk"])
    finally:
        db.dispose()


def admin_headers(base_url: str) -> list[str]:
    """``-H`` values carrying a fresh admin session: its cookie and its CSRF token."""
    with httpx.Client(base_url=base_url) as client:
        response = client.post("/api/v1/staff/session", json={"username": ADMIN[0], "password": ADMIN[1]})
        response.raise_for_status()
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return [f"Cookie: {cookie}", f"X-CSRF-Token: {response.json()['csrf_token']}"]


def run(
    base_url: str, who: str, *, examples: int, seed: int, headers: Sequence[str] = (), leave_out: Sequence[str] = ()
) -> Run:
    """``st run`` against the served document; the whole output is kept for a failure's message."""
    command = [
        str(st_command()), "--config-file", str(CONFIG), "run", f"{base_url}/api/v1/openapi.json",
        "--checks", ",".join(CHECKS), "--max-examples", str(examples), "--seed", str(seed),
        "--exclude-path-regex", WEBSOCKETS, "--generation-database", "none", "--workers", "1",
        "--no-color", "--max-failures", "100", "--request-timeout", "30",
    ]  # fmt: skip
    for operation in leave_out:
        command += ["--exclude-operation-id", operation]
    for header in headers:
        command += ["--header", header]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) unique failures?", output)
    return Run(
        who,
        examples,
        int(generated.group(1)) if generated else 0,
        int(failures.group(1)) if failures else 0,
        round(time.monotonic() - started, 1),
        done.returncode,
        output,
    )


def both(base_url: str, *, examples: int, seed: int) -> list[Run]:
    """The anonymous run, then the admin's."""
    anonymous = run(base_url, "anonymous", examples=examples, seed=seed)
    admin = run(
        base_url, "admin", examples=examples, seed=seed, headers=admin_headers(base_url), leave_out=ADMIN_LEAVES_OUT
    )
    return [anonymous, admin]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.openapi_fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="test cases per operation (default 200)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    from tests.web.browser import url, web_with_fake_rasa  # the test harness's way of starting the service

    with tempfile.TemporaryDirectory() as folder, web_with_fake_rasa(Path(folder) / "var") as settings:
        add_admin(settings)
        runs = both(url(settings).rstrip("/"), examples=args.examples, seed=args.seed)
    for result in runs:
        tail = [line for line in result.output.splitlines() if line.strip()][-12:]
        print(f"== {result.who}: {result.generated} requests, {result.failures} failures, {result.seconds} s")
        print("\n".join(tail))
    print(json.dumps({"seed": args.seed, "runs": [r.figures() for r in runs]}))


if __name__ == "__main__":
    main()
