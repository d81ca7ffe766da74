"""Screening at scale: registries streamed through in chunks (the Dask engine is in cluster.py).

:func:`screen_chunked` reads a CSV registry block by block (Arrow's streaming reader), screens each
chunk against the layer pack loaded once, and hands it to the run writer
(:class:`geo_screen.outputs.run.RunWriter`), which stages it while the next chunk is screened and writes
each ``results.gpkg`` layer in one streamed pass at the end. Memory stays at a few chunks whatever the
file size. The two steps that look across rows are done globally first: a pass over the id column alone
finds duplicate USCCs (same ``issues`` text as the in-memory path), and ``input_row`` continues from
chunk to chunk. The results are row for row those of :func:`geo_screen.screening.screen.screen`.

>>> screen_chunked("registry_10m.csv", "layers/nantong", out_dir="out/", crs="gcj02")   # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa

from geo_screen.errors import ConfigError, InputDataError
from geo_screen.inputs.columns import match_columns
from geo_screen.inputs.crs import parse_crs
from geo_screen.inputs.registry import ENTERPRISE_ID, duplicate_issues, registry_from_table
from geo_screen.inputs.sources import RawTable, arrow_to_strings, csv_stream, mixed_encoding_error
from geo_screen.outputs.run import FORMATS, RunWriter
from geo_screen.pack.catalog import Catalog, file_sha256, load_catalog
from geo_screen.pack.metric import release_metric_layers
from geo_screen.runtime import return_freed_memory
from geo_screen.screening.manifest import build_manifest, run_counts
from geo_screen.screening.rules import RuleSet, load_rules
from geo_screen.screening.screen import screen
from geo_screen.vocabulary import DISPOSITION_ZH

Progress = Callable[[str], None]

#: rows screened at a time by :func:`screen_chunked` (about 1 GB of working memory per 250,000 rows)
CHUNK_ROWS = 250_000


# --------------------------------------------------------------------------- chunked streaming


def screen_chunked(
    registry: str | os.PathLike,
    catalog: str | os.PathLike | Catalog,
    *,
    out_dir: str | os.PathLike,
    rules: str | os.PathLike | RuleSet | None = None,
    crs: str = "EPSG:4326",
    chunk_rows: int = CHUNK_ROWS,
    out_crs: str | None = None,
    formats=tuple(FORMATS),
    progress: Progress | None = None,
    bar: bool = False,
) -> list[Path]:
    """Screen a CSV registry of any size chunk by chunk, writing the run's files as it goes.

    Parameters
    ----------
    registry
        A CSV file (UTF-8 with or without BOM, or GBK/GB18030). Other formats: use
        :func:`geo_screen.screening.screen.screen`, which reads them whole.
    catalog, rules, crs, out_crs
        As for :func:`geo_screen.screening.screen.screen` and :func:`geo_screen.outputs.run.write_results`.
    out_dir
        Folder for ``results.gpkg``, ``results.parquet``, ``results.xlsx`` and ``run.json``; written
        in a temporary folder beside it and moved in place at the end.
    chunk_rows
        Rows screened at a time; memory grows with it, results do not change.
    formats
        The files to write (any of ``gpkg``, ``parquet``, ``xlsx``; all three by default). ``results.xlsx``
        holds the county summaries and the flagged enterprises (up to Excel's sheet limit; the full results
        are in the GeoPackage and GeoParquet files).
    progress, bar
        Step messages; ``bar=True`` also draws a tqdm progress bar with rows/s on stderr.

    Returns
    -------
    list of Path
        The files written.
    """
    if chunk_rows < 1:
        raise ConfigError(f"chunk_rows={chunk_rows} must be a positive number of rows, e.g. 250000")
    source = Path(registry)
    if source.suffix.lower() not in (".csv", ".txt", ".tsv"):
        raise InputDataError(
            f"{source}: chunked screening reads CSV registries; export {source.suffix} as CSV "
            "(UTF-8), or screen it without chunk_rows= (in memory)"
        )
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    loaded_here = not isinstance(catalog, Catalog)
    catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    for encoding in (None, "gb18030"):
        with RunWriter(out_dir, out_crs=out_crs, formats=formats) as writer:
            excel = "xlsx" in writer.formats
            run = _ChunkedRun(source, catalog, ruleset, crs=crs, writer=writer, say=say, bar=bar, excel=excel)
            try:
                run.screen(chunk_rows, encoding=encoding)
            except _NotUtf8:
                say("the file is not UTF-8 after all: starting again as GB18030")
                continue
            manifest = run.manifest(started, rules=rules, chunk_rows=chunk_rows)
            if loaded_here:  # the pack's layers in metres, needed by no later screening, go back before writing
                release_metric_layers(catalog)
                return_freed_memory()
            say("writing " + ", ".join(FORMATS[f] for f in writer.formats))
            return writer.close(manifest, workbook=partial(run.workbook, manifest=manifest))
    raise InputDataError(f"{source}: the CSV cannot be decoded as UTF-8 or GB18030/GBK; save it as 'CSV UTF-8'")


class _NotUtf8(Exception):
    """Raised when a file sniffed as UTF-8 has non-UTF-8 bytes further down."""


class _ChunkedRun:
    """One chunked screening: the global pass, then each chunk screened, summarised and handed to the writer."""

    def __init__(
        self, source: Path, catalog: Catalog, rules: RuleSet, *, crs, writer: RunWriter, say, bar, excel: bool = True
    ):
        self.source, self.catalog, self.rules, self.crs = source, catalog, rules, parse_crs(crs, where="crs")
        self.writer, self.say, self.bar = writer, say, bar
        self.excel = excel  # flagged rows are kept for the workbook only when one is written
        self.counts: list[dict] = []
        self.summaries: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        self.flagged: list[pd.DataFrame] = []
        self.flagged_rows = 0
        self.rows = 0
        self.attrs: dict = {}

    def _reader(self, encoding, columns=None):
        names, used, reader = csv_stream(self.source, encoding=encoding, columns=columns)
        self.encoding = used
        return names, reader

    def _batches(self, reader):
        try:
            yield from reader
        except UnicodeDecodeError as err:  # a GB18030 file with bytes further down that are not GB18030 either
            raise mixed_encoding_error(self.source, self.encoding, err) from err
        except pa.ArrowInvalid as err:
            if "UTF8" in str(err) or "utf8" in str(err).lower():
                raise _NotUtf8 from err
            raise InputDataError(
                f"{self.source}: cannot parse as delimited text ({err}); check the delimiter "
                "and quotes, or screen it without chunk_rows= (in memory, which also reads ragged rows)"
            ) from err

    def screen(self, chunk_rows: int, *, encoding) -> None:
        names, _ = self._reader(encoding, columns=[])
        id_column = match_columns(names).get(ENTERPRISE_ID)
        self.say("pass 1: counting rows" + (f" and checking {id_column!r} for duplicate codes" if id_column else ""))
        _, reader = self._reader(encoding, columns=[id_column] if id_column else [names[0]])
        ids = [b.column(0) for b in self._batches(reader)]
        total = sum(len(a) for a in ids)
        if total == 0:
            raise InputDataError(
                f"{self.source}: the registry has no data rows; export it again with one row per "
                "enterprise below a header row"
            )
        duplicates = None
        if id_column:
            raw = pd.Series(pd.array(pa.chunked_array(ids, type=pa.large_string()), dtype="string"))
            duplicates = duplicate_issues(raw)
            duplicates = pa.nulls(total, pa.large_string()) if duplicates is None else duplicates
        del ids
        self.say(f"pass 2: screening {total:,} rows in chunks of {chunk_rows:,}")
        bar = progress_bar(total, self.bar)
        _, reader = self._reader(encoding)
        pending, size = [], 0
        try:
            for batch in self._batches(reader):
                pending.append(batch)
                size += batch.num_rows
                while size >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    self._screen_chunk(table.slice(0, chunk_rows), duplicates)
                    rest = table.slice(chunk_rows)
                    pending, size = rest.to_batches(), rest.num_rows
                    bar.update(chunk_rows)
            if size:
                self._screen_chunk(pa.Table.from_batches(pending), duplicates)
                bar.update(size)
        finally:
            bar.close()

    def _screen_chunk(self, table: pa.Table, duplicates: pa.Array | None) -> None:
        first = self.rows + 1
        raw = RawTable(arrow_to_strings(table), "csv", self.encoding)
        dup = duplicates.slice(self.rows, table.num_rows) if duplicates is not None else None
        registry = registry_from_table(
            raw, self.source, crs=self.crs, coverage=self.catalog.coverage, first_row=first, duplicates=dup
        )
        self.attrs = registry.attrs.get("registry", {})
        result = screen(registry, self.catalog, rules=self.rules)
        self.rows += table.num_rows
        self.writer.add(result.enterprises, result.hits)
        self.counts.append(run_counts(result.enterprises))
        from geo_screen.outputs.workbook import LARGE_COLUMNS, disposition_by_county, summary_by_county

        self.summaries.append(
            (summary_by_county(result.enterprises, result.hits), disposition_by_county(result.enterprises))
        )
        flagged = result.flagged
        room = _excel_room() - self.flagged_rows
        if self.excel and room > 0 and len(flagged):  # the columns the workbook lists, copied out of the chunk
            listed = [c for c in LARGE_COLUMNS if c in flagged.columns]
            self.flagged.append(pd.DataFrame(flagged[listed].head(room)).copy())
        self.flagged_rows += len(flagged)
        self.say(f"rows {first:,}-{self.rows:,} screened and staged")

    def manifest(self, started, *, rules, chunk_rows: int) -> dict:
        out = build_manifest(
            self.catalog,
            self.rules,
            rules=rules,
            started=started,
            counts=_sum_counts(self.counts),
            input_info={**self.attrs, "rows": self.rows, "path": str(self.source), "sha256": file_sha256(self.source)},
            input_crs=self.crs.label,
            engine={"name": "chunked", "chunk_rows": chunk_rows},
        )
        return {**out, "output": {"crs": self.writer.crs}}

    def workbook(self, path: Path, manifest: dict) -> None:
        """Write the run's workbook to ``path``: the flagged rows kept and the summaries added up over the chunks."""
        from geo_screen.outputs.workbook import sort_summary, write_summary_workbook

        by_standard = pd.concat([s[0] for s in self.summaries], ignore_index=True)
        keys = [c for c in by_standard.columns if c != "count"]
        by_standard = sort_summary(by_standard.groupby(keys, sort=False, dropna=False)["count"].sum().reset_index())
        by_disposition = _sum_table(pd.concat([s[1] for s in self.summaries], ignore_index=True))
        flagged = pd.concat(self.flagged, ignore_index=True) if self.flagged else pd.DataFrame()
        write_summary_workbook(
            path,
            flagged=flagged,
            flagged_total=self.flagged_rows,
            rows=self.rows,
            by_standard=by_standard,
            by_disposition=by_disposition,
            manifest=manifest,
        )


def _sum_table(table: pd.DataFrame) -> pd.DataFrame:
    """Add up the per-chunk county x disposition tables: counties sorted (as ``pd.crosstab`` does), 合计 last."""
    key = table.columns[0]
    total = table.fillna(0).groupby(key, sort=False).sum().astype("int64")
    known = [v for v in DISPOSITION_ZH.values() if v in total.columns]
    own = [v for v in total.columns if v not in known and v != "合计"]  # a rule's own words (责令拆除或者关闭): close
    columns = own + known + ["合计"]
    rows = sorted(k for k in total.index if k != "合计") + ["合计"]
    return total.loc[rows, columns].reset_index()


def _excel_room() -> int:
    from geo_screen.outputs.workbook import EXCEL_SHEET_ROWS

    return EXCEL_SHEET_ROWS


def _sum_counts(parts: list[dict]) -> dict:
    """Add up :func:`geo_screen.screening.manifest.run_counts` of disjoint chunks."""

    def add(a: dict, b: dict) -> dict:
        out = dict(a)
        for key, value in b.items():
            out[key] = add(out.get(key, {}), value) if isinstance(value, dict) else out.get(key, 0) + value
        return out

    total: dict = {}
    for part in parts:
        total = add(total, part)
    return total


def progress_bar(total: int, enabled: bool):
    """A tqdm bar in rows on stderr (a no-op object when disabled)."""
    from tqdm import tqdm

    return tqdm(
        total=total, unit="rows", unit_scale=True, file=sys.stderr, disable=not enabled, desc="screening", smoothing=0.1
    )
