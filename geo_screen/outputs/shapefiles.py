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

    The header holds the path, the encoding's name, the geometry type, each text field's width in bytes
    (:func:`~geo_screen.outputs.dbf.text_widths`), every other field's NumPy type, the CRS and the row count;
    the rows are the frame as Arrow with the geometry as WKB, as :func:`pyogrio.write_dataframe` hands them to
    GDAL.
    """
    enc = resolve_encoding(encoding)
    has_geometry = "geometry" in df.columns
    widths = text_widths(df, encoding=enc)
    cols = [c for c in df.columns if c != "geometry"]
    header = {
        "path": str(path),
        "encoding": enc.name,
        "geometry_type": geometry_type,
        "fields": [[c, widths[c]] if c in widths else [c, df[c].to_numpy()[:0].dtype.str] for c in cols],
        "geometry": has_geometry,
        "crs": df.crs.to_string() if has_geometry and df.crs else None,
        "rows": len(df),
    }
    frame = pd.DataFrame(df, copy=False)
    if has_geometry:
        frame = frame.assign(geometry=shapely.to_wkb(np.asarray(df.geometry.array, dtype=object)))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):  # GDAL has no null type (a column of nothing but None)
        if pa.types.is_null(f.type):
            kind = pa.binary() if f.name == "geometry" else pa.string()
            table = table.set_column(i, f.with_type(kind), table[i].cast(kind))
    return header, table


def write_job(header: dict, rows) -> None:
    """Write one job: the empty layer with its fixed text widths, then the rows appended, then the code page.

    Text fields get exactly the width their longest value needs: the layer is created empty with those
    widths (pyogrio takes a field width from fixed-width NumPy strings), then the rows are appended. This
    avoids both GDAL's default 80-byte fields and its slow ``RESIZE`` pass. ``rows`` is an Arrow table or a
    stream of record batches (the child's standard input); it is read to its end.
    """
    enc, path = resolve_encoding(header["encoding"]), Path(header["path"])
    names = [name for name, _ in header["fields"]]
    fields = [np.array([], dtype=f"<U{kind}" if isinstance(kind, int) else kind) for _, kind in header["fields"]]
    options = {"driver": "ESRI Shapefile", "geometry_type": header["geometry_type"], "encoding": enc.gdal}
    geometry = np.array([], dtype=object) if header["geometry"] else None
    pyogrio.raw.write(path, geometry=geometry, field_data=fields, fields=names, crs=header["crs"], **options)
    if header["rows"]:
        name = "geometry" if header["geometry"] else None
        pyogrio.raw.write_arrow(rows, path, append=True, geometry_name=name, crs=header["crs"], **options)
    elif isinstance(rows, pa.RecordBatchReader):
        rows.read_all()  # the stream read to its end: the next job follows it
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
