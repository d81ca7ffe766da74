"""Writing a run's files: ``results.gpkg``, ``results.parquet``, ``results.xlsx`` (:data:`FORMATS`) and ``run.json``.

One writer for every engine. :class:`RunWriter` takes the results a chunk at a time (the in-memory and
Dask runs hand it one chunk through :func:`write_results`, a chunked run one per screened chunk) and
writes into a staging folder inside the output folder, committing the files once all are written
(:func:`geo_screen.outputs.staging.commit`): ``run.json``, written last, lists every file of the run with
its size and SHA-256, and the previous run's files are removed, so the folder is one run or is refused.

A run of one chunk is written from memory, its Arrow rows made a slice at a time (``results.parquet`` from the
same slices as they go to GDAL). From the second chunk on, chunks are appended to GeoParquet
files in a thread while the next is screened (the enterprises' file is ``results.parquet`` itself), and
each GeoPackage layer is written from its file in one streamed pass at the end: GDAL appends to an
existing layer 2.7x slower than it writes a new one (its R-tree is updated row by row instead of built in
bulk). GDAL holds the GIL while it writes, so when a large run also writes the workbook, a child process
(``python -m geo_screen.outputs.run``) writes ``results.gpkg`` meanwhile from the rows streamed to its
standard input (Arrow IPC, one stream per layer): it starts on the first rows at once, and the evidence
rows of a run held in memory are never staged in a file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import IO

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq

from geo_screen import results as R
from geo_screen.errors import ConfigError, ExportError
from geo_screen.outputs.gpkg import BATCH_ROWS, geometry_kinds, geoparquet_table, write_gpkg_arrow
from geo_screen.outputs.provenance import manifest_for_output
from geo_screen.outputs.staging import commit, staging_folder
from geo_screen.records import FILES_KEY
from geo_screen.results import OUTPUT_CRS
from geo_screen.runtime import last_error_line, python_child, return_freed_memory

#: the files a run can write (``--formats``, ``formats=``), in the order they are listed; a run writes all by default
FORMATS = {"gpkg": R.GPKG_NAME, "parquet": R.PARQUET_NAME, "xlsx": R.XLSX_NAME}
#: a run's files, removed from the folder even when no run.json lists them (a folder of an older version)
RUN_FILES = tuple(FORMATS.values())

#: from this many rows (enterprises + evidence), a run that writes the workbook has a child process write
#: results.gpkg meanwhile (a child costs about a second to start)
BACKGROUND_GPKG_ROWS = 200_000

#: rows of a run held in memory made into Arrow at a time (a row group of its results.parquet), never the whole run's
#: tables at once (1M rows: the write stage's peak 2.9 -> 2.7 GB)
SLICE_ROWS = 8 * BATCH_ROWS
#: writes the workbook to the path it is given
WorkbookWriter = Callable[[Path], object]
#: a layer's rows: their schema and their record batches, in order
Source = tuple[pa.Schema, Iterable[pa.RecordBatch]]


def run_formats(formats, *, where: str = "formats=") -> tuple[str, ...]:
    """The formats asked (names of :data:`FORMATS`, any order and case) in :data:`FORMATS` order; else ConfigError."""
    asked = [str(f).strip().lower() for f in formats if str(f).strip()]
    if not asked or set(asked) - set(FORMATS):
        raise ConfigError(
            f"{where} {','.join(map(str, formats))!r}: choose one or more of {', '.join(FORMATS)}, comma-separated "
            "(a run writes all three by default)"
        )
    return tuple(f for f in FORMATS if f in asked)


class RunWriter:
    """The files of one run, written chunk by chunk into a temporary folder and moved into ``out_dir`` at the end.

    Use as a context manager: leaving the block without :meth:`close` (an error, Ctrl-C) removes the
    temporary folder and leaves the output folder as it was.

    Parameters
    ----------
    out_dir
        The output folder (created when missing).
    out_crs
        CRS of the written geometries; default :data:`geo_screen.results.OUTPUT_CRS` (the results' own).
    formats
        The files to write (:func:`run_formats`); ``xlsx`` needs the ``workbook`` of :meth:`close`.

    Examples
    --------
    >>> with RunWriter("out/") as writer:                                           # doctest: +SKIP
    ...     for enterprises, hits in chunks:
    ...         writer.add(enterprises, hits)
    ...     written = writer.close(manifest, workbook=lambda path: write_book(path))
    """

    def __init__(self, out_dir: str | os.PathLike, *, out_crs: str | None = None, formats=tuple(FORMATS)):
        self.formats = run_formats(formats)
        self.out = Path(out_dir)
        self.crs = out_crs or OUTPUT_CRS
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self.tmp = staging_folder(self.out)
        except OSError as err:
            raise ExportError(
                f"cannot create or write in the output folder {self.out}: {err.strerror}; choose a writable output "
                "folder with free space"
            ) from err
        parquet = R.PARQUET_NAME if "parquet" in self.formats else ".enterprises.parquet"
        self.layers = {R.ENTERPRISES_LAYER: _Layer(self.tmp / parquet, True)}
        if "gpkg" in self.formats:  # the evidence rows are the GeoPackage's hits layer
            self.layers[R.HITS_LAYER] = _Layer(self.tmp / ".hits.parquet", False)
        self._held: list[list[gpd.GeoDataFrame]] = []  # chunks not yet handed to the staging thread
        self._copier = ThreadPoolExecutor(max_workers=2)  # staging, and the GeoPackage child's rows
        self._copying: Future | None = None

    def add(self, enterprises: gpd.GeoDataFrame, hits: gpd.GeoDataFrame) -> None:
        """Take the next chunk of results: its enterprises and their evidence rows, in row order.

        The first chunk is held in memory; from the second on, chunks are made into Arrow tables here (GEOS and pyproj
        in the caller's thread only) and appended to the staging files in a thread while the caller goes on. A run
        held in memory is made into Arrow as it is written (:meth:`_Layer.batches`).
        """
        frames = (enterprises, hits)
        self._held.append([layer.counted(self._output_crs(f)) for layer, f in zip(self.layers.values(), frames)])
        if self._copying is not None or len(self._held) > 1:
            try:
                self._stage()
            except OSError as err:  # from the staging thread
                raise ExportError(
                    f"cannot write results to {self.out}: {err}; check free space and permissions"
                ) from err

    def close(self, manifest: dict, *, workbook: WorkbookWriter | None = None) -> list[Path]:
        """Write the GeoPackage, the workbook (the formats asked) and ``run.json``; commit them into the output folder.

        The previous run's files in the folder (those its ``run.json`` lists) are removed; ``run.json`` is
        moved in last and lists every file with its size and SHA-256.

        Parameters
        ----------
        manifest
            The run's manifest, written as ``run.json`` with the output CRS added.
        workbook
            Writes ``results.xlsx`` to the path it is given; used when the formats hold ``xlsx``.

        Returns
        -------
        list of Path
            The files written, in the output folder.
        """
        formats = [f for f in self.formats if f != "xlsx" or workbook is not None]
        workbook = workbook if "xlsx" in formats else None
        gpkg = self.tmp / R.GPKG_NAME if "gpkg" in formats else None
        try:
            rows = sum(layer.rows for layer in self.layers.values())
            specs = {name: layer.spec() for name, layer in self.layers.items()}  # what the GeoPackage layers need
            child = gpkg is not None and workbook is not None and rows >= BACKGROUND_GPKG_ROWS
            held = None if not self._held or self._copying is not None else self._held.pop()
            if held is None:  # many chunks: the GeoPackage is written from the staged files
                self._stage(wait=True)
            keep = held is not None and "parquet" in formats  # one chunk: results.parquet of the rows as they pass
            named = zip(self.layers.items(), held or [None] * len(self.layers))
            sources = [layer.batches(f, keep=keep and name == R.ENTERPRISES_LAYER) for (name, layer), f in named]
            if gpkg is None and keep:  # results.parquet alone: made in a thread while the workbook is written
                self._copying = self._copier.submit(deque, sources[0][1], maxlen=0)
            with _gpkg_in_child(gpkg, specs, self.crs, sources, self._copier) if child else nullcontext():
                if gpkg is not None and not child:
                    _write_gpkg(gpkg, specs, self.crs, sources)
                if workbook is not None:
                    workbook(self.tmp / R.XLSX_NAME)
                if self._copying is not None:
                    self._copying.result()
            manifest = manifest_for_output({**manifest, "output": {"crs": self.crs, "formats": formats}})
            manifest.pop(FILES_KEY, None)
            written = commit(
                self.tmp, self.out, [FORMATS[f] for f in formats], R.MANIFEST_NAME, manifest, earlier=RUN_FILES
            )
        except ExportError:
            raise
        except OSError as err:
            raise ExportError(f"cannot write results to {self.out}: {err}; check free space and permissions") from err
        finally:
            self._discard()
        return written

    def _discard(self) -> None:
        """Stop staging and remove the temporary folder (the output folder keeps what it had)."""
        self._copier.shutdown(wait=True)
        for layer in self.layers.values():
            layer.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._discard()

    def _output_crs(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.to_crs(self.crs) if self.crs != OUTPUT_CRS else frame.set_crs(OUTPUT_CRS, allow_override=True)

    def _stage(self, *, wait: bool = False) -> None:
        """Hand the held chunks to the staging thread, after the previous ones (appends stay in row order)."""
        if self._copying is not None:
            self._copying.result()
        held, self._held = [[geoparquet_table(frame) for frame in frames] for frames in self._held], []
        self._copying = self._copier.submit(self._append, held)
        if wait:
            self._copying.result()
            for layer in self.layers.values():
                layer.close()

    def _append(self, chunks: list[list[pa.Table]]) -> None:
        for tables in chunks:
            for layer, table in zip(self.layers.values(), tables):
                layer.append(table)


class _Layer:
    """One layer's staging file (GeoParquet, appended chunk by chunk) and what its rows hold so far."""

    def __init__(self, path: Path, spatial_index: bool):
        self.path, self.spatial_index, self.writer = path, spatial_index, None
        self.types: set[int] = set()  # shapely geometry type ids, for the GeoPackage layer type
        self.has_z, self.rows = False, 0

    def counted(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The chunk, its geometry types and rows counted in."""
        types, has_z = geometry_kinds(frame.geometry.to_numpy())
        self.types |= types
        self.has_z = self.has_z or has_z
        self.rows += len(frame)
        return frame

    def append(self, table: pa.Table) -> pa.Table:
        """Append a :func:`geoparquet_table` to the layer's file and return it (Arrow only: safe in a worker thread)."""
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))
        return table

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def batches(self, frame: gpd.GeoDataFrame | None, *, keep: bool = False) -> Source:
        """The layer's rows a record batch at a time: from the staging file, or made from ``frame`` (a run held in
        memory) :data:`SLICE_ROWS` at a time, each slice appended to the layer's file when ``keep``."""
        if frame is None:
            return pq.read_schema(self.path), self._staged()
        return geoparquet_table(frame.iloc[:0]).schema, self._made(frame, keep)

    def _made(self, frame: gpd.GeoDataFrame, keep: bool) -> Iterator[pa.RecordBatch]:
        for at in range(0, max(len(frame), 1), SLICE_ROWS):
            table = geoparquet_table(frame.iloc[at : at + SLICE_ROWS])
            yield from (self.append(table) if keep else table).to_batches(max_chunksize=BATCH_ROWS)
        self.close()

    def _staged(self) -> Iterator[pa.RecordBatch]:
        with pq.ParquetFile(self.path) as staged:
            yield from staged.iter_batches(batch_size=BATCH_ROWS)

    def spec(self) -> dict:
        """What :func:`_write_gpkg` needs to know of the layer besides its rows (JSON for a child process)."""
        return {"types": sorted(self.types), "has_z": self.has_z, "index": self.spatial_index}


def _write_gpkg(gpkg: Path, layers: dict[str, dict], crs: str, sources: Iterable[Source]) -> None:
    """Write the layers (name -> :meth:`_Layer.spec`) into the new GeoPackage ``gpkg`` from ``sources``, in order."""
    for (name, spec), (schema, batches) in zip(layers.items(), sources):
        options = {"types": set(spec["types"]), "has_z": spec["has_z"], "crs": crs, "spatial_index": spec["index"]}
        write_gpkg_arrow(schema, batches, gpkg, name, **options)


def _send(sources: list[Source], stream: IO[bytes]) -> None:
    """Write each layer's rows to the child's standard input as one Arrow IPC stream, then close it."""
    with suppress(OSError), stream:  # OSError: the child stopped reading, and its own error says why
        for schema, batches in sources:
            with pa.ipc.new_stream(stream, schema) as sink:
                for batch in batches:
                    sink.write_batch(batch)


@contextmanager
def _gpkg_in_child(gpkg: Path, layers: dict[str, dict], crs: str, sources: list[Source], sender: Executor):
    """A child Python process runs :func:`_write_gpkg` on ``sources`` while the block runs; ExportError if it failed.

    ``sender`` streams the rows to the child's standard input. Leaving the block early (an error, Ctrl-C)
    stops the child. It finds ``geo_screen`` where this process found it; its error output goes to a
    temporary file (a pipe could fill and block it).
    """
    spec = json.dumps({"gpkg": str(gpkg), "layers": layers, "crs": crs}, ensure_ascii=False)
    with tempfile.TemporaryFile() as errors:
        child = python_child(
            "geo_screen.outputs.run", spec, errors=errors, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        sending = sender.submit(_send, sources, child.stdin)
        try:
            yield
        finally:
            if sys.exc_info()[0] is not None and child.poll() is None:
                child.kill()
            code = child.wait()
            sending.result()
        if code != 0:
            raise ExportError(
                f"writing {gpkg.name} failed: {last_error_line(errors) or 'the writer stopped'}; "
                "check free space and permissions"
            )


def write_results(
    result: R.ScreenResult,
    out_dir: str | Path,
    *,
    out_crs: str | None = None,
    formats=tuple(FORMATS),
) -> list[Path]:
    """Write the ``formats`` asked (``results.gpkg``, ``results.parquet``, ``results.xlsx``) and ``run.json``.

    Parameters
    ----------
    result
        A screening's results (:func:`geo_screen.screening.screen.screen` or the Dask engine).
    out_dir
        The output folder; files are staged inside it and committed at the end (the previous run's files
        removed, ``run.json`` last), so the folder holds one complete run or is refused by readers.
    out_crs
        CRS of the written geometries; default the results' own (:data:`~geo_screen.results.OUTPUT_CRS`).
    formats
        The files to write: any of ``gpkg``, ``parquet``, ``xlsx`` (:func:`run_formats`); all three by default.
        ``run.json`` records them.

    Returns
    -------
    list of Path
        The files written.
    """
    from geo_screen.outputs.workbook import write_results_workbook

    return_freed_memory()  # the screening's working memory, freed by now, goes back before the files are made
    with RunWriter(out_dir, out_crs=out_crs, formats=formats) as writer:
        writer.add(result.enterprises, result.hits)
        return writer.close(result.manifest, workbook=lambda path: write_results_workbook(result, path))


if __name__ == "__main__":  # the child of _gpkg_in_child
    from geo_screen.runtime import tune_arrow_memory

    tune_arrow_memory()
    _spec = json.loads(sys.argv[1])
    _streams = (pa.ipc.open_stream(sys.stdin.buffer) for _ in _spec["layers"])  # opened one after the other
    _write_gpkg(Path(_spec["gpkg"]), _spec["layers"], _spec["crs"], ((rows.schema, rows) for rows in _streams))
