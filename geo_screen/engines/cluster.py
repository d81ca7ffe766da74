"""The Dask engine: a registry partitioned as a dask-geopandas frame and screened on a Dask scheduler.

A local ``distributed`` cluster, one at ``scheduler=ADDRESS``, or dask's threaded/synchronous
schedulers. Workers load the layer pack once each, from its path (a per-process cache that a worker's
threads share), never from a pickle sent with every task. Results are row for row those of
:func:`geo_screen.screening.screen.screen`.

>>> result = screen_dask("registry.csv", "layers/nantong", partitions=8)                 # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

import geopandas as gpd
import pandas as pd

from geo_screen import results as R
from geo_screen.engines.chunked import progress_bar
from geo_screen.errors import ConfigError
from geo_screen.pack.catalog import Catalog, load_catalog
from geo_screen.runtime import ARROW_POOL_VARIABLE
from geo_screen.screening.manifest import run_manifest
from geo_screen.screening.screen import prepare_inputs, screen

Progress = Callable[[str], None]


#: held while a worker finds or loads its pack: a worker's other threads wait for the pack instead of loading it too
_PACK_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _worker_catalog(path: str, stamp: float) -> Catalog:
    """The pack, loaded once per worker process (keyed by path and modification time)."""
    return load_catalog(path)


def _screen_partition(
    part: gpd.GeoDataFrame, catalog_path: str, stamp: float, rules
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Screen one partition on a worker; the pack comes from the worker's cache, not from the task."""
    with _PACK_LOCK:
        catalog = _worker_catalog(catalog_path, stamp)
    result = screen(part, catalog, rules=rules)
    return result.enterprises, result.hits


def screen_dask(
    registry,
    catalog,
    *,
    rules=None,
    crs: str = "EPSG:4326",
    scheduler: str | None = None,
    partitions: int | None = None,
    progress: Progress | None = None,
    bar: bool = False,
) -> R.ScreenResult:
    """Screen a registry on Dask: the registry partitioned, the layer pack loaded once per worker.

    Parameters
    ----------
    registry
        A path (read here, so ``input_row`` and duplicate codes are global) or a frame from
        :func:`geo_screen.inputs.registry.read_registry`.
    catalog
        A ``catalog.yaml`` path or a loaded :class:`~geo_screen.pack.catalog.Catalog`; workers load it from
        its path, so the pack must be readable at the same path on every worker (a shared disk).
    rules, crs, progress
        As for :func:`geo_screen.screening.screen.screen`; ``bar=True`` adds a tqdm bar (rows/s) on stderr.
    scheduler
        Address of a running scheduler (``tcp://host:8786``); ``"threads"`` or ``"synchronous"`` for
        dask's local schedulers; None starts a local ``distributed`` cluster for the run.
    partitions
        Registry partitions; default two per worker thread.

    Returns
    -------
    ScreenResult
        Row for row what :func:`geo_screen.screening.screen.screen` returns.
    """
    import dask
    import dask_geopandas

    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    registry, catalog, ruleset, source = prepare_inputs(registry, catalog, rules=rules, crs=crs, progress=say)
    client, cluster = _client(scheduler, say)
    try:
        workers = _threads(client) if client is not None else (os.cpu_count() or 1)
        n_parts = max(1, min(partitions or 2 * workers, len(registry)))
        with dask.config.set({"dataframe.convert-string": False}):  # keep the registry's own text dtypes
            frame = dask_geopandas.from_geopandas(registry, npartitions=n_parts, sort=False)
            parts_in = frame.to_delayed()
        stamp = catalog.path.stat().st_mtime
        tasks = [dask.delayed(_screen_partition)(part, str(catalog.path), stamp, ruleset) for part in parts_in]
        where = f"the cluster at {scheduler}" if client is not None and scheduler else scheduler or "a local cluster"
        say(f"screening {len(registry):,} rows in {len(tasks)} partitions on {where}")
        if client is not None:
            from distributed import as_completed

            futures = client.compute(tasks)
            sizes = {f.key: len(p) for f, p in zip(futures, _split_sizes(len(registry), frame))}
            with progress_bar(len(registry), bar) as meter:
                for future in as_completed(futures):
                    meter.update(sizes.get(future.key, 0))
            parts = client.gather(futures)
        else:
            parts = dask.compute(*tasks, scheduler=scheduler)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    say("assembling the partitions")
    enterprises = pd.concat([p[0] for p in parts], ignore_index=True)
    enterprises = gpd.GeoDataFrame(enterprises, geometry="geometry", crs=parts[0][0].crs)
    hits = gpd.GeoDataFrame(
        pd.concat([p[1] for p in parts], ignore_index=True), geometry="geometry", crs=parts[0][1].crs
    )
    manifest = run_manifest(
        registry,
        catalog,
        ruleset,
        rules=rules,
        source=source,
        crs=crs,
        started=started,
        enterprises=enterprises,
        engine={"name": "dask", "scheduler": scheduler or "local cluster", "partitions": len(parts)},
    )
    return R.ScreenResult(enterprises, hits, manifest)


def _split_sizes(n: int, frame) -> list[range]:
    """Row ranges of the partitions of ``frame`` (from its divisions), for the progress bar."""
    divisions = list(frame.divisions)
    if any(d is None for d in divisions):
        return [range(0)] * frame.npartitions
    return [range(int(a), int(b)) for a, b in zip(divisions[:-1], [*divisions[1:-1], n])]


def _client(scheduler: str | None, say: Progress):
    """(client, cluster we started) for ``scheduler``; (None, None) for dask's local schedulers."""
    if scheduler in ("threads", "threading", "synchronous", "sync", "processes"):
        return None, None
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except OSError as err:
            raise ConfigError(
                f"cannot reach the dask scheduler at {scheduler!r} ({err}); start one with "
                "'dask scheduler' (and 'dask worker ADDRESS' on each machine) or leave out "
                "scheduler= to start a local cluster"
            ) from err
    import pyarrow as pa

    say("starting a local dask cluster")
    # the workers allocate Arrow memory as this program does (geo_screen.runtime.tune_arrow_memory): a process
    # chooses its pool when it starts, from ARROW_DEFAULT_MEMORY_POOL
    pool = {ARROW_POOL_VARIABLE: pa.default_memory_pool().backend_name}
    cluster = LocalCluster(
        n_workers=min(os.cpu_count() or 1, 4), threads_per_worker=1, processes=True, dashboard_address=None, env=pool
    )
    return Client(cluster), cluster


def _threads(client) -> int:
    return max(1, sum(client.nthreads().values()))
