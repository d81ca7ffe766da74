"""Exception hierarchy: every user-facing failure is a GeoScreenError with a fixable message."""

from __future__ import annotations


class GeoScreenError(Exception):
    """Base class of every error geo_screen raises on purpose.

    Messages say what is wrong, where (file, layer, row, key), what was
    received, what is allowed, and how to fix it. The CLI prints them and
    exits with code 2.
    """


class ConfigError(GeoScreenError, ValueError):
    """A catalog or rules file is missing, malformed or inconsistent."""


class InputDataError(GeoScreenError, ValueError):
    """An enterprise registry or a layer file cannot be used as given."""


class CRSError(InputDataError):
    """A coordinate reference system is missing, unknown or unsuitable."""


class ExportError(GeoScreenError, OSError):
    """Results or packages cannot be written."""


def join_problems(header: str, problems: list[str]) -> str:
    """Format several collected problems as one message (validate once, raise once)."""
    if len(problems) == 1:
        return f"{header}: {problems[0]}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{header} ({len(problems)} problems):\n{lines}"
