"""geo_screen: screen enterprise registries against Nantong's comprehensive standards (通政办发〔2017〕179号).

The public API, in the order data flows::

    registry = read_registry("enterprises.csv", crs="gcj02")
    catalog = load_catalog("layers/nantong/catalog.yaml")
    grades = grade("indicators.csv", out_dir="out/")   # A/B/C/D from 亩均 indicators (optional)
    result = screen(registry, catalog, grades=grades)  # -> ScreenResult(enterprises, hits, manifest)
    result = screen(registry, catalog, ledger="台账.sqlite")  # with what the county found and decided
    write_results(result, "out/")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "GeoScreenError": "geo_screen.errors",
    "ConfigError": "geo_screen.errors",
    "InputDataError": "geo_screen.errors",
    "ExportError": "geo_screen.errors",
    "read_registry": "geo_screen.inputs.registry",
    "load_catalog": "geo_screen.pack.catalog",
    "load_rules": "geo_screen.screening.rules",
    "screen": "geo_screen.ledger.rescreen",
    "grade": "geo_screen.outputs.grades",
    "write_grades": "geo_screen.outputs.grades",
    "load_method": "geo_screen.grading.method",
    "Grades": "geo_screen.grading.evaluate",
    "write_results": "geo_screen.outputs.run",
    "demo_paths": "geo_screen.pack.demo",
    "ScreenResult": "geo_screen.results",
    "read_results": "geo_screen.results",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover  (static names for type checkers; the runtime path is __getattr__)
    from geo_screen.errors import ConfigError, ExportError, GeoScreenError, InputDataError  # noqa: F401
    from geo_screen.grading.evaluate import Grades  # noqa: F401
    from geo_screen.grading.method import load_method  # noqa: F401
    from geo_screen.inputs.registry import read_registry  # noqa: F401
    from geo_screen.ledger.rescreen import screen  # noqa: F401
    from geo_screen.outputs.grades import grade, write_grades  # noqa: F401
    from geo_screen.pack.catalog import load_catalog  # noqa: F401
    from geo_screen.results import ScreenResult, read_results  # noqa: F401
    from geo_screen.screening.rules import load_rules  # noqa: F401
    from geo_screen.screening.screen import demo_paths, write_results  # noqa: F401


def __getattr__(name: str) -> Any:
    # Lazy: `import geo_screen` stays cheap for the CLI's --help and for dask workers.
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'geo_screen' has no attribute {name!r}")
