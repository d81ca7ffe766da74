"""The map's own command-line arguments.

``streamlit run app.py -- --results DIR --catalog PATH --runs DIR --basemaps FILE --ledger PATH_OR_URL --users FILE``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AppArgs:
    """What the app was started with: a results folder to show, a layer pack (None when not given), the
    runs folder every screening is kept in (``runs`` under the working directory by default), the office's
    basemaps file (:func:`geo_screen.app.basemaps.load_basemaps`; None: the built-in basemaps only), the ledger
    whose history the card shows (a SQLite file or a ``postgresql://`` URL; None: no history) and the users
    file whose users may record findings (None: read-only, unless Streamlit's OIDC login is configured)."""

    results: Path | None = None
    catalog: Path | None = None
    runs: Path = Path("runs")
    basemaps: Path | None = None
    ledger: str | None = None
    users: Path | None = None


def app_args(argv: Sequence[str] | None = None) -> AppArgs:
    """Parse the app's own arguments; unknown ones (Streamlit's) are ignored.

    Parameters
    ----------
    argv
        The arguments after ``--``; ``sys.argv[1:]`` when None.

    Returns
    -------
    AppArgs
        The results folder, catalog, basemaps file, ledger and users file given, if any, and the runs folder.

    Examples
    --------
    >>> app_args(["--results", "out/demo", "--server.port", "8502"])
    AppArgs(results=PosixPath('out/demo'), catalog=None, runs=PosixPath('runs'), basemaps=None, ledger=None, users=None)
    """
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--basemaps", type=Path, default=None)
    parser.add_argument("--ledger", default=None)
    parser.add_argument("--users", type=Path, default=None)
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    ledger = known.ledger if known.ledger is None or "://" in known.ledger else str(Path(known.ledger).expanduser())
    users = known.users.expanduser() if known.users else None
    return AppArgs(known.results, known.catalog, known.runs.expanduser(), known.basemaps, ledger, users)
