"""Staging folders and commits: an output folder holds one complete output, or a reader refuses it.

A writer makes a staging folder ``.geo_screen-*`` inside the output folder (:func:`staging_folder`), with
an owner marker (the process id and its start time), writes every file there, and calls :func:`commit`:

1. the folder's record (``run.json`` / ``export.json``) is replaced by a *pending* record naming the
   earlier output's files and the new ones (readers refuse the folder from here on);
2. the earlier output's files the new one does not have are removed (a ``--no-excel`` run leaves no
   earlier ``results.xlsx``; a second export no earlier county zip);
3. the new files are moved in, and the new record, listing each with its size and SHA-256, last.

A kill at any point leaves the old output, the new one, or a pending record that the next writer reads
to remove every file named in it. Staging folders whose owner is dead (SIGKILL) are removed by the next
writer into the same folder; a live process's folder is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from geo_screen.records import FILES_KEY, PENDING_KEY, file_digest, recorded_names

STAGING_PREFIX = ".geo_screen-"
OWNER_NAME = ".owner.json"  #: in a staging folder: {"pid": ..., "started": process start time}
#: a staging folder without its owner marker is left alone this long (its writer may be about to write it)
UNMARKED_GRACE_S = 600


def owner() -> dict:
    """This process as a staging folder's owner marker records it."""
    return {"pid": os.getpid(), "started": psutil.Process().create_time()}


def _owner_alive(marker: dict) -> bool:
    try:
        return psutil.Process(int(marker["pid"])).create_time() == float(marker["started"])
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove the staging folders in ``out`` whose writer is dead; returns those removed."""
    removed = []
    for folder in out.glob(STAGING_PREFIX + "*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            marker = json.loads((folder / OWNER_NAME).read_text("utf-8"))
        except FileNotFoundError:
            if time.time() - folder.stat().st_mtime < UNMARKED_GRACE_S:
                continue
            marker = {}
        except (OSError, ValueError):
            marker = {}
        if isinstance(marker, dict) and _owner_alive(marker):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def staging_folder(out: Path, *, kind: str = "") -> Path:
    """A new staging folder in ``out`` marked with this process as its owner (dead writers' folders removed first).

    Raises
    ------
    OSError
        When the folder cannot be created (read-only or full disk); callers turn it into an ExportError.
    """
    remove_stale_staging(out)
    tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + (f"{kind}-" if kind else ""), dir=out))
    (tmp / OWNER_NAME).write_text(json.dumps(owner()), "utf-8")
    return tmp


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically (a sibling temporary file, flushed, then renamed)."""
    part = path.with_name(f".{path.name}.part")
    with open(part, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, path)


def commit(
    tmp: Path, out: Path, names: list[str], record_name: str, record: dict, *, earlier: tuple[str, ...] = ()
) -> list[Path]:
    """Move the staged files ``names`` from ``tmp`` into ``out`` as one output recorded in ``record_name``.

    Parameters
    ----------
    tmp
        The staging folder holding ``names``.
    out
        The output folder.
    names
        The output's file names (plain names), in the order they are reported.
    record_name
        ``run.json`` or ``export.json``.
    record
        What the record says besides the files (the run's manifest); ``files`` is added.
    earlier
        Names an earlier output may have left without a record listing them (folders written before records
        existed); removed too.

    Returns
    -------
    list of Path
        The files in ``out``, the record last.
    """
    files = {name: file_digest(tmp / name) for name in names}
    _write_json(tmp / record_name, {**record, FILES_KEY: files})
    target = out / record_name
    previous = (recorded_names(out, record_name) | set(earlier)) - {record_name}
    _write_json(target, {PENDING_KEY: sorted(previous | set(names))})
    for name in sorted(previous - set(names)):
        path = out / name
        if path.is_file() or path.is_symlink():
            path.unlink()
    for name in names:
        os.replace(tmp / name, out / name)
    os.replace(tmp / record_name, target)
    return [out / name for name in [*names, record_name]]
