"""The map's users: ``geo-screen users add FILE USERNAME --name NAME`` writes a user with a hashed password."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from geo_screen.cli.options import EXIT_BAD_INPUT, EXIT_OK


def add_commands(sub) -> None:
    """Add this module's subcommands to the ``geo-screen`` parser's ``sub``."""
    p = sub.add_parser("users", help="the map's users file (streamlit run app.py -- --users FILE): who may record")
    users_sub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_sub.add_parser("add", help="add a user, or set a user's name and password (only a bcrypt hash is kept)")
    add.add_argument("file", type=Path, help="the users file (YAML; created when missing)")
    add.add_argument("username", help="the login name (lower case a-z, 0-9, . _ -)")
    add.add_argument("--name", required=True, help="the person's name, recorded in the ledger with each entry")
    add.add_argument("--email", default=None, help="optional, for the administrator")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )


def run(args) -> int:
    """Run the subcommand ``args.command`` names."""
    from geo_screen.app.users import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再输入一次 / again: ") != password:
            print("两次输入的密码不一致 / the passwords differ; nothing written", file=sys.stderr)
            return EXIT_BAD_INPUT
    add_user(args.file, args.username, name=args.name, password=password, email=args.email)
    print(f"{args.file}: 用户 {args.username.strip().lower()}（{args.name}）已保存 / saved (password as a bcrypt hash)")
    return EXIT_OK
