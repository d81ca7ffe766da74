"""Compare two results folders frame for frame: results.parquet and both layers of results.gpkg.

    python scripts/compare_runs.py OLD_DIR NEW_DIR

Prints one line per file/layer and exits 1 when any differs (column order, dtypes, values, geometry).
Used to show that a change to the code leaves a run's results as they were.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio


def _frames(folder: Path) -> dict[str, gpd.GeoDataFrame]:
    frames = {"results.parquet": gpd.read_parquet(folder / "results.parquet")}
    gpkg = folder / "results.gpkg"
    for name, _ in pyogrio.list_layers(gpkg):
        frames[f"results.gpkg:{name}"] = gpd.read_file(gpkg, layer=name, engine="pyogrio")
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    old, new = _frames(args.old), _frames(args.new)
    failed = False
    for name in sorted(old.keys() | new.keys()):
        if name not in old or name not in new:
            print(f"{name}: only in {'new' if name not in old else 'old'}")
            failed = True
            continue
        try:
            pd.testing.assert_frame_equal(old[name], new[name], check_exact=True)
        except AssertionError as err:
            print(f"{name}: differs: {str(err).splitlines()[0:3]}")
            failed = True
        else:
            print(f"{name}: equal ({len(new[name]):,} rows x {new[name].shape[1]} columns)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
