"""The ``geo-screen`` command: thin subcommands over the public API; user errors exit with code 2.

Each module here adds its subcommands (``add_commands``) and runs them (``run``): ``screening`` (screen, demo,
grade, layers, export), ``changes`` (diff), ``ledger`` (verify, ledger, lists, notices) and ``users`` (the
map's users file). ``progress`` draws the step messages; ``options`` holds the exit codes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from geo_screen import __version__
from geo_screen.cli import changes, ledger, screening, users
from geo_screen.cli.options import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS
from geo_screen.cli.progress import StepBars, StepLog
from geo_screen.errors import GeoScreenError
from geo_screen.runtime import tune_arrow_memory

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_PROBLEMS", "StepBars", "StepLog", "command_line_message", "main"]

#: the modules adding subcommands, in the order ``--help`` lists them
COMMAND_MODULES = (screening, changes, ledger, users)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geo-screen",
        description="Screen enterprise registries against Nantong's comprehensive standards (通政办发〔2017〕179号).",
    )
    parser.add_argument("--version", action="version", version=f"geo-screen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        before = set(sub.choices)
        module.add_commands(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(run_command=module.run)
    return parser


ARGUMENT_FLAGS = {
    "out_dir": "--out",
    "rules": "--rules",
    "method": "--method",
    "grades": "--grades",
    "crs": "--crs",
    "sheet": "--sheet",
    "layer": "--layer",
    "out_crs": "--out-crs",
    "chunk_rows": "--chunk-rows",
    "scheduler": "--scheduler",
    "partitions": "--partitions",
    "by": "--by",
    "corrections": "--corrections",
    "run": "--run",
}
_ARGUMENT_RE = re.compile(r"\b(" + "|".join(ARGUMENT_FLAGS) + r")=(\S?)")


def command_line_message(message: str) -> str:
    """A library error message in the command's words: ``rules=PATH`` becomes ``--rules PATH``, ``(out_dir=)``
    becomes ``(--out)``."""

    def flag(match: re.Match) -> str:
        value = match.group(2)
        joined = value and value not in ")）,，;；"
        return ARGUMENT_FLAGS[match.group(1)] + (" " + value if joined else value)

    return _ARGUMENT_RE.sub(flag, message)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geo-screen`` console script."""
    args = _parser().parse_args(argv)
    tune_arrow_memory()
    try:
        return args.run_command(args)
    except GeoScreenError as err:
        print(f"geo-screen: error: {command_line_message(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # the machine, not the data: a read-only folder, a full disk, a vanished file
        where = f" {err.filename}" if err.filename else ""
        print(
            f"geo-screen: error: cannot read or write{where}: {err.strerror or err}; check the path, its "
            "permissions and the free space on its disk",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("geo-screen: interrupted", file=sys.stderr)
        return 130
