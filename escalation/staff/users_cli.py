"""``python -m escalation users ...``: staff accounts from the command line (the first admin, above all).

    python -m escalation users add alice --role admin                  # asks for the password twice
    python -m escalation users add bob --role agent --team trading-desk --password-stdin < pw.txt
    python -m escalation users list
    python -m escalation users passwd alice

It uses the configured database (``FUNDDESK_DATABASE_URL``), which must be at the newest schema
(``python -m funddesk.db upgrade``, or ``make run``, migrates it).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from escalation.staff import accounts
from escalation.staff.errors import EscalationError
from escalation.staff.teams import load_teams
from funddesk.db import Database, StaffRole, database_url, migrate
from funddesk.settings import load


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m escalation users", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in StaffRole], required=True)
    add.add_argument("--team", action="append", default=[], help="a team the user works in (repeatable)")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("list", help="list staff accounts")
    passwd = commands.add_parser("passwd", help="set a new password (logs the user out everywhere)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv[1:])

    settings = load()
    db = Database.from_url(database_url(settings.database_url, settings.data_dir))
    try:
        migrate.require_current(db.engine)
        with db.session(write=True) as session:
            accounts.sync_teams(session, load_teams(settings.teams_file))
            if args.command == "list":
                for user in accounts.users(session):
                    state = "" if user.active else " (deactivated)"
                    print(f"{user.username}\t{user.role}\t{','.join(user.team_ids) or '-'}{state}")
                return 0
            password = _password(args.password_stdin)
            if args.command == "add":
                user = accounts.create_user(
                    session,
                    args.username,
                    password,
                    role=StaffRole(args.role),
                    display_name=args.display_name,
                    teams=args.team,
                )
                print(f"created {user.role} {user.username} (teams: {', '.join(user.team_ids) or 'none'})")
            else:
                found = next((u for u in accounts.users(session) if u.username == args.username.lower()), None)
                if found is None:
                    print(f"error: no user {args.username!r}", file=sys.stderr)
                    return 1
                accounts.set_password(found, password)
                accounts.close_sessions_of(session, found)
                print(f"new password set for {found.username}")
        return 0
    except EscalationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except migrate.SchemaNotCurrent as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("error: the passwords differ")
    return first
