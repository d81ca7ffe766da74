"""Runs that last: every screening the map shows is kept as a named run in a runs folder, found again by its id.

A run is a folder ``RUNS/<id>/`` holding the results :func:`geo_screen.outputs.run.write_results` writes (an
uploaded registry screened by the app), or only ``source.json`` pointing at a results folder on the server
(``--results DIR`` or a folder typed in the sidebar: registered, not copied). The id
(``20260601-093012-3fa9c2``: Beijing time and a short hash) goes into the page's URL as ``run=``, so a
reload or a shared link shows the same data.

>>> info = save_run(result, "runs")                  # doctest: +SKIP
>>> [run_label(r) for r in list_runs("runs")]        # doctest: +SKIP
>>> result = load_run("runs", info.id)               # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.outputs.provenance import LOCAL_TZ, local_time
from geo_screen.records import PENDING_KEY

RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
POINTER_NAME = "source.json"
QUERY_KEY = "run"


@dataclass(frozen=True)
class RunInfo:
    """One saved run as the sidebar lists it."""

    id: str
    registry: str  #: the registry's file name
    finished: str  #: when it was screened (Beijing time, as recorded)
    rows: int
    rules: str


def _folder(runs_dir: str | Path, run_id: str) -> Path:
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise InputDataError(
            f"筛查记录编号 {str(run_id)[:40]!r} 无效（应形如 20260601-093012-3fa9c2）；请从左侧“筛查记录”中选择。"
            " / run id is not valid; pick a run from the sidebar"
        )
    return Path(runs_dir) / run_id


def _new_id(seed: str) -> str:
    stamp = datetime.now(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{hashlib.sha256(f'{stamp}|{seed}'.encode()).hexdigest()[:6]}"


def save_run(result: R.ScreenResult, runs_dir: str | Path) -> RunInfo:
    """Write ``result`` as a new run under ``runs_dir`` (created when missing) and return its listing.

    Parameters
    ----------
    result
        A screening run (an uploaded registry screened by the app).
    runs_dir
        The runs folder (``--runs DIR``).

    Returns
    -------
    RunInfo
        The saved run; its ``id`` goes into the URL.
    """
    from geo_screen.outputs.run import write_results

    seed = json.dumps(result.manifest.get("input", {}), sort_keys=True, default=str)
    run_id = _new_id(seed)
    write_results(result, _folder(runs_dir, run_id), formats=("gpkg", "parquet"))
    return _info(run_id, result.manifest)


def register_folder(results_dir: str | Path, runs_dir: str | Path) -> RunInfo:
    """Register a results folder as a run (a pointer, no copy); the same folder always gives the same run.

    Raises
    ------
    InputDataError
        When ``results_dir`` holds no results.
    """
    source = Path(results_dir).expanduser().resolve()
    manifest = R.read_results(source).manifest  # raises when there are no results
    for info in list_runs(runs_dir):
        pointer = Path(runs_dir) / info.id / POINTER_NAME
        if pointer.is_file() and json.loads(pointer.read_text("utf-8")).get("results") == str(source):
            return info
    run_id = _new_id(str(source))
    folder = _folder(runs_dir, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / POINTER_NAME).write_text(
        json.dumps({"results": str(source), "manifest": manifest}, ensure_ascii=False, default=str), "utf-8"
    )
    return _info(run_id, manifest)


def _manifest(folder: Path) -> dict | None:
    for name in (POINTER_NAME, R.MANIFEST_NAME):
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                return None
            if not isinstance(data, dict) or PENDING_KEY in data:  # a run interrupted while it was written
                return None
            return data.get("manifest", {}) if name == POINTER_NAME else data
    return None


def _info(run_id: str, manifest: dict) -> RunInfo:
    return RunInfo(
        id=run_id,
        registry=Path(str(manifest.get("input", {}).get("path", "—"))).name,
        finished=str(manifest.get("finished", "")),
        rows=int(manifest.get("counts", {}).get("rows", manifest.get("input", {}).get("rows", 0)) or 0),
        rules=str(manifest.get("rules", {}).get("document") or manifest.get("rules", {}).get("name", "—")),
    )


def list_runs(runs_dir: str | Path) -> list[RunInfo]:
    """The runs under ``runs_dir``, newest first; folders without results are skipped."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    out = []
    for folder in root.iterdir():
        if folder.is_dir() and RUN_ID.fullmatch(folder.name):
            manifest = _manifest(folder)
            if manifest is not None:
                out.append(_info(folder.name, manifest))
    return sorted(out, key=lambda r: r.id, reverse=True)


def load_run(runs_dir: str | Path, run_id: str) -> R.ScreenResult:
    """The results of the run ``run_id`` (read back from its folder, or from the folder it points at).

    Raises
    ------
    InputDataError
        When the id is malformed, no such run exists, or its files do not match its ``run.json``
        (:func:`geo_screen.results.checked_run`; message in Chinese first).
    """
    folder = _folder(runs_dir, run_id)
    pointer = folder / POINTER_NAME
    if pointer.is_file():
        source = json.loads(pointer.read_text("utf-8"))["results"]
    elif (folder / R.GPKG_NAME).is_file():
        source = folder
    else:
        raise InputDataError(
            f"找不到筛查记录 {run_id}（可能已被删除）；请从左侧“筛查记录”中选择，或重新上传名录。 / no run {run_id}"
        )
    try:
        return R.read_results(source)
    except InputDataError as err:
        raise InputDataError(
            f"筛查记录 {run_id} 的结果文件不完整或已被改动，无法显示；请重新筛查，或从左侧选择其他记录。 / {err}"
        ) from err


def run_label(info: RunInfo) -> str:
    """How a run reads in the sidebar: registry, time, rows and rules."""
    when = local_time(info.finished) if info.finished else "—"
    return f"{info.registry} · {when} · {info.rows:,} 行 · {info.rules}"
