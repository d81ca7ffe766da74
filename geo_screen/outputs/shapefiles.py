"""Writing an export's shapefiles and DBF tables: in this process, or in one child process per export.

Owns a shapefile as a *job* (:func:`shapefile_job`: the file's path, encoding, geometry type, text widths, field
types and CRS, and its rows as one Arrow table), the one function that writes a job (:func:`write_job`, called
here and in the child alike) and :class:`ShapefileWriter`, which writes an export's jobs in this process or in a
child. The attribute tables themselves (short names, fitted text, code pages) are :mod:`geo_screen.outputs.dbf`.

GDAL holds Python's lock while it writes, so a large export has a child process
(``python -m geo_screen.outputs.shapefiles``, one per export: it costs about half a second to start) write
its packages' shapefiles while it builds their checklists. Each job goes to the child's standard input as a
JSON line followed by the rows as one Arrow IPC stream; the child answers one line per job on its standard
output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio.raw
import shapely

from geo_screen.errors import ExportError
from geo_screen.outputs.dbf import Encoding, mark_codepage, resolve_encoding, text_widths
from geo_screen.runtime import last_error_line, python_child

#: a shapefile to write: its header (what :func:`write_job` needs besides the rows) and its rows
Job = tuple[dict, pa.Table]
#: rows per Arrow record batch sent to the child (the child holds one batch at a time, not the whole file)
BATCH_ROWS = 8_192
_SUFFIXES = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def shapefile_job(
    df: pd.DataFrame, path: str | Path, *, encoding: str | Encoding, geometry_type: str | None = None
) -> Job:
    """What :func:`write_job` needs to write ``df`` (already through :func:`~geo_screen.outputs.dbf.dbf_frame`).

    The header holds the path, the encoding's name, the geometry type and the CRS; the rows are
    the frame as Arrow with the geometry as WKB, as :func:`pyogrio.write_dataframe` hands them to GDAL, each text
    field carrying its width in bytes (:func:`~geo_screen.outputs.dbf.text_widths`) as GDAL's ``GDAL:OGR:width``.
    """
    enc = resolve_encoding(encoding)
    has_geometry = "geometry" in df.columns
    widths = text_widths(df, encoding=enc)
    header = {
        "path": str(path),
        "encoding": enc.name,
        "geometry_type": geometry_type,
        "crs": df.crs.to_string() if has_geometry and df.crs else None,
    }
    frame = pd.DataFrame(df, copy=False)
    if has_geometry:
        frame = frame.assign(geometry=shapely.to_wkb(np.asarray(df.geometry.array, dtype=object)))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type):  # GDAL has no null type (a column of nothing but None)
            kind = pa.binary() if f.name == "geometry" else pa.string()
            table = table.set_column(i, f.with_type(kind), table[i].cast(kind))
        if f.name in widths:
            width = {"GDAL:OGR:width": str(widths[f.name])}
            table = table.set_column(i, table.field(i).with_metadata(width), table[i])
    return header, table


def write_job(header: dict, rows) -> None:
    """Write one job: the layer, its rows, the DBF's end-of-file mark, then the code page.

    Text fields get exactly the width their longest value needs (each Arrow field's ``GDAL:OGR:width``): not
    GDAL's default 80 bytes, and no slow ``RESIZE`` pass. GDAL writes the DBF's closing 0x1A after every record
    and steps back over it for the next one, which costs a flush and two system calls a record (a 1M-row run's
    county export: about 12 s of the shapefile writer's 24 s), so it is told not to (``DBF_EOF_CHAR=NO``) and
    the mark is added once at the end: the same bytes. ``rows`` is an Arrow table or a stream of record batches
    (the child's standard input); it is read to its end.
    """
    enc, path = resolve_encoding(header["encoding"]), Path(header["path"])
    pyogrio.raw.write_arrow(
        rows,
        path,
        driver="ESRI Shapefile",
        geometry_name="geometry" if "geometry" in rows.schema.names else None,
        geometry_type=header["geometry_type"],
        crs=header["crs"],
        encoding=enc.gdal,
        layer_options={"DBF_EOF_CHAR": "NO"},
    )
    with open(path.with_suffix(".dbf"), "ab") as dbf:
        dbf.write(b"\x1a")
    mark_codepage(path, enc)


def job_files(header: dict) -> list[Path]:
    """The files a written job left: the shapefile's (.shp .shx .dbf .prj .cpg) or a lone DBF's (.dbf .cpg)."""
    path = Path(header["path"])
    return [p for p in (path.with_suffix(s) for s in _SUFFIXES) if p.exists()]


def write_shapefile(
    df: pd.DataFrame, path: str | Path, *, encoding: str | Encoding, geometry_type: str | None = None
) -> list[Path]:
    """Write ``df`` (already passed through :func:`~geo_screen.outputs.dbf.dbf_frame`) as a shapefile, or a
    lone DBF without geometry, in this process (:func:`write_job`); returns the files written."""
    header, rows = shapefile_job(df, path, encoding=encoding, geometry_type=geometry_type)
    write_job(header, rows)
    return job_files(header)


class ShapefileWriter:
    """Writes an export's jobs: here, or (``child=True``) in one child process while the caller goes on.

    Use as a context manager. :meth:`submit` hands over one package's jobs and returns a function that waits
    for their files: in this process the jobs are written at once; for the child a sender thread streams them
    to its standard input, and the function reads the child's answers. Leaving the block by an error (or
    Ctrl-C) kills the child; a child that fails gives one :class:`~geo_screen.errors.ExportError` naming the
    file it was writing and its last error line.
    """

    def __init__(self, *, child: bool):
        self._child: subprocess.Popen | None = None
        if not child:
            return
        self._errors = tempfile.TemporaryFile()
        self._child = python_child(
            "geo_screen.outputs.shapefiles", errors=self._errors, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._sender = ThreadPoolExecutor(1)

    def submit(self, jobs: list[Job]) -> Callable[[], list[Path]]:
        """Write ``jobs``; the function returned waits for them and returns their files (ExportError if the
        child failed). Call it before the next :meth:`submit`'s."""
        if self._child is None:
            for header, rows in jobs:
                write_job(header, rows)
            files = [p for header, _ in jobs for p in job_files(header)]
            return lambda: files
        sending = self._sender.submit(_send, jobs, self._child.stdin)
        headers = [header for header, _ in jobs]
        return lambda: self._answers(headers, sending)

    def _answers(self, headers: list[dict], sending: Future) -> list[Path]:
        files = []
        for header in headers:
            if not self._child.stdout.readline():  # the child stopped: its error, or the sender's
                self._child.wait()
                sending.result()
                raise self._failure(Path(header["path"]).name)
            files += job_files(header)
        return files

    def _failure(self, name: str) -> ExportError:
        last = last_error_line(self._errors) or f"the shapefile writer stopped (exit status {self._child.returncode})"
        return ExportError(f"writing {name} failed: {last}; check free space and permissions")

    def __enter__(self) -> ShapefileWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._child is None:
            return
        try:
            if exc_type is not None:
                self._child.kill()
            self._sender.shutdown(wait=True)
            with suppress(OSError):  # a killed child's pipe
                self._child.stdin.close()
            if self._child.wait() != 0 and exc_type is None:
                raise self._failure("the shapefiles")
        finally:
            self._child.stdout.close()
            self._errors.close()


def _send(jobs: list[Job], stream: IO[bytes]) -> None:
    """Write each job to the child's standard input: its header as a JSON line, then its rows as an IPC stream.

    On any other error than the child's pipe closing (its own error then says why), the pipe is closed, so
    the child stops at the cut stream instead of waiting for the rest.
    """
    try:
        for header, table in jobs:
            stream.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
            with pa.ipc.new_stream(stream, table.schema) as sink:
                sink.write_table(table, max_chunksize=BATCH_ROWS)
        stream.flush()
    except OSError:
        pass
    except BaseException:
        with suppress(OSError):
            stream.close()
        raise


def _serve(jobs: IO[bytes], answers: IO[str]) -> None:
    """The child: write each job read from ``jobs``, answer its path on ``answers``; until ``jobs`` ends."""
    while line := jobs.readline():
        header = json.loads(line)
        write_job(header, pa.ipc.open_stream(jobs))
        answers.write(json.dumps(header["path"]) + "\n")
        answers.flush()


if __name__ == "__main__":  # the child of ShapefileWriter
    _serve(sys.stdin.buffer, sys.stdout)
