"""The map's own command-line arguments:
``streamlit run app.py -- --results DIR --catalog PATH --runs DIR --basemaps FILE``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AppArgs:
    """What the app was started with: a results folder to show, a layer pack (None when not given), the
    runs folder every screening is kept in (``runs`` under the working directory by default) and the office's
    basemaps file (:func:`geo_screen.app.basemaps.load_basemaps`; None: the built-in basemaps only)."""

    results: Path | None = None
    catalog: Path | None = None
    runs: Path = Path("runs")
    basemaps: Path | None = None


def app_args(argv: Sequence[str] | None = None) -> AppArgs:
    """Parse the app's own arguments; unknown ones (Streamlit's) are ignored.

    Parameters
    ----------
    argv
        The arguments after ``--``; ``sys.argv[1:]`` when None.

    Returns
    -------
    AppArgs
        The results folder, catalog and basemaps file given, if any, and the runs folder.

    Examples
    --------
    >>> app_args(["--results", "out/demo", "--server.port", "8502"])
    AppArgs(results=PosixPath('out/demo'), catalog=None, runs=PosixPath('runs'), basemaps=None)
    """
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--basemaps", type=Path, default=None)
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    return AppArgs(known.results, known.catalog, known.runs.expanduser(), known.basemaps)
