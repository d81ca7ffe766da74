"""The map's own command-line arguments: ``streamlit run app.py -- --results DIR --catalog PATH --runs DIR``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AppArgs:
    """What the app was started with: a results folder to show, a layer pack (None when not given) and the
    runs folder every screening is kept in (``runs`` under the working directory by default)."""

    results: Path | None = None
    catalog: Path | None = None
    runs: Path = Path("runs")


def app_args(argv: Sequence[str] | None = None) -> AppArgs:
    """Parse the app's own arguments; unknown ones (Streamlit's) are ignored.

    Parameters
    ----------
    argv
        The arguments after ``--``; ``sys.argv[1:]`` when None.

    Returns
    -------
    AppArgs
        The results folder and catalog given, if any, and the runs folder.

    Examples
    --------
    >>> app_args(["--results", "out/demo", "--server.port", "8502"])
    AppArgs(results=PosixPath('out/demo'), catalog=None, runs=PosixPath('runs'))
    """
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    return AppArgs(known.results, known.catalog, known.runs.expanduser())
