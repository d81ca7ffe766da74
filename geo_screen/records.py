"""Commit records: the JSON file (``run.json``, ``export.json``) that makes a folder one complete output.

A writer lists every file of its output in the record under :data:`FILES_KEY`, each with its size and
SHA-256, and writes the record last (:mod:`geo_screen.outputs.staging`). While it replaces an earlier
output, the record says :data:`PENDING_KEY` (the names being removed or written), so a folder is, at every
moment, the old complete output, the new complete output, or refused. Readers call :func:`checked_record`:
a missing or pending record, a missing file, or a file whose size or SHA-256 differs is one
:class:`~geo_screen.errors.InputDataError` naming the file and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from geo_screen.errors import InputDataError

FILES_KEY = "files"  #: file name -> {"bytes": size, "sha256": hex digest}
PENDING_KEY = "pending"  #: file names of an output being replaced (the record of an unfinished write)
_CHUNK = 1 << 20


def file_digest(path: str | Path) -> dict:
    """A file's entry in a commit record: ``{"bytes": size, "sha256": hex digest}`` (read in 1 MiB blocks)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
            size += len(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


def is_plain_name(name: object) -> bool:
    """Whether a record's file name is a plain name inside its folder (no separator, no ``..``)."""
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name


def recorded_names(folder: str | Path, record_name: str) -> set[str]:
    """The plain file names the folder's record lists, written or pending (empty when there is no readable record).

    A writer removes these before it commits the next output; names that would leave the folder are ignored.
    """
    try:
        record = json.loads((Path(folder) / record_name).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(record, dict):
        return set()
    names = list(record.get(FILES_KEY) or {}) + list(record.get(PENDING_KEY) or [])
    return {name for name in names if is_plain_name(name)}


def checked_record(folder: str | Path, record_name: str, *, redo: str) -> dict:
    """The folder's record, once every file it lists is there with the recorded size and SHA-256.

    Parameters
    ----------
    folder
        The output folder.
    record_name
        ``run.json`` or ``export.json``.
    redo
        How to make the folder whole again, ending every message (``re-run 'geo-screen screen' into it``).

    Returns
    -------
    dict
        The record as written.

    Raises
    ------
    InputDataError
        When the record is missing, unreadable or pending, or a file it lists is missing or differs.
    """
    folder = Path(folder)
    path = folder / record_name
    if not path.is_file():
        raise InputDataError(
            f"{folder} has no {record_name}, so its files are not one complete output (an interrupted write, or "
            f"files copied without it); {redo}"
        )
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise InputDataError(f"{path} is not valid JSON ({err}); {redo}") from err
    if not isinstance(record, dict) or PENDING_KEY in record:
        raise InputDataError(f"{path}: the output in {folder} was interrupted while it was being replaced; {redo}")
    files = record.get(FILES_KEY)
    if not isinstance(files, dict) or not files:
        raise InputDataError(
            f"{path} lists no files (written by an older geo_screen, or edited), so {folder} cannot be checked; {redo}"
        )
    for name, entry in files.items():
        _check_file(folder, name, entry, record_name=record_name, redo=redo)
    return record


def _check_file(folder: Path, name: str, entry: object, *, record_name: str, redo: str) -> None:
    if not is_plain_name(name) or not isinstance(entry, dict):
        raise InputDataError(f"{folder / record_name} lists {name!r}, which is not a file of this folder; {redo}")
    path = folder / name
    if not path.is_file():
        raise InputDataError(f"{path} is missing; {record_name} lists it as part of the output; {redo}")
    size = path.stat().st_size
    if size != entry.get("bytes"):
        raise InputDataError(
            f"{path} has {size} bytes, {record_name} says {entry.get('bytes')}: it belongs to another run or was "
            f"changed after it; {redo}"
        )
    if file_digest(path)["sha256"] != entry.get("sha256"):
        raise InputDataError(
            f"{name} has changed since the run ({path}: its SHA-256 differs from {record_name}'s); {redo}"
        )
