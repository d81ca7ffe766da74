"""The bundled Nantong demo pack: where its catalog and registry live."""

from __future__ import annotations

from pathlib import Path

from geo_screen.errors import InputDataError

_REPO = Path(__file__).resolve().parents[2]


def demo_paths() -> dict[str, Path]:
    """Paths of the bundled Nantong demo: ``catalog``, ``registry``, its ``indicators`` table (亩均 indicators for
    the performance evaluation) and the registry's ``crs`` (GCJ-02, as AMap gives it)."""
    pack = _REPO / "layers" / "nantong"
    paths = {
        "catalog": pack / "catalog.yaml",
        "registry": pack / "demo_registry.csv",
        "indicators": pack / "demo_indicators.csv",
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise InputDataError(
            f"the bundled demo pack is missing ({', '.join(missing)}); run geo_screen from a checkout of the "
            "repository, or rebuild it with 'python layers/nantong/build.py'"
        )
    return {**paths, "crs": "gcj02"}
