"""What every document says about its run: local (Beijing) times and the illustrative-data stamp.

Two promises hold in every output (results.xlsx, run.json, the county packages, the checklist, the city's
lists, the map):

* **Times are Beijing time, labelled.** A run records UTC (``run.json`` ``started``/``finished``); what
  officials read is ``2024-12-01 09:00:00（北京时间）``. China (Asia/Shanghai) has kept UTC+8 without
  daylight saving since 1991, so a fixed offset is exact and needs no time-zone database.
* **Illustrative data says so.** When the run used a layer its pack marks ``illustrative: true`` (the
  bundled Nantong demo's zones), every output carries :data:`ILLUSTRATIVE_STAMP`. Which layers is read
  from the run's manifest (``illustrative.layers``, written by :func:`manifest_for_output`), else from
  the pack's catalog file the manifest names.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from geo_screen.errors import ConfigError

#: Beijing time (Asia/Shanghai), UTC+8 all year
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
LOCAL_TZ_NAME = "Asia/Shanghai"
#: how a local time is labelled in documents
LOCAL_TIME_LABEL = "北京时间"
#: the stamp every output of a run on illustrative layers carries
ILLUSTRATIVE_STAMP = "示意数据，非官方"


def local_time(value: str | datetime | None = None) -> str:
    """A moment as Beijing time with its label: ``2024-12-01 09:00:00（北京时间）``.

    Parameters
    ----------
    value
        An ISO 8601 text (as in run.json) or a datetime; a naive one counts as UTC. None: now.

    Returns
    -------
    str
        The local time, or the value unchanged when it is not a time.

    Examples
    --------
    >>> local_time("2024-12-01T01:00:00+00:00")
    '2024-12-01 09:00:00（北京时间）'
    """
    if value is None:
        moment = datetime.now(LOCAL_TZ)
    elif isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}（{LOCAL_TIME_LABEL}）"


def _iso_local(value) -> str | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=16)
def _catalog_illustrative(path: str, mtime: float) -> tuple[str, ...]:
    from geo_screen.pack.catalogfile import catalog_spec_from_text

    spec = catalog_spec_from_text(Path(path).read_text("utf-8-sig"), source=path)
    return tuple(layer.id for layer in spec.layers if layer.illustrative)


def illustrative_layers(manifest: dict) -> list[str]:
    """The ids of the illustrative layers a run used (empty when none, or when nothing says).

    Parameters
    ----------
    manifest
        The run's manifest (``run.json``).

    Returns
    -------
    list of str
        ``manifest["illustrative"]["layers"]`` when present, else the layers the catalog file named in
        ``manifest["catalog"]["path"]`` marks ``illustrative: true`` (none if that file is gone or invalid).
    """
    recorded = (manifest or {}).get("illustrative")
    if isinstance(recorded, dict) and "layers" in recorded:
        return list(recorded["layers"])
    path = (manifest or {}).get("catalog", {}).get("path")
    if not path or not Path(path).is_absolute() or not Path(path).is_file():  # a run records it absolute
        return []
    try:
        return list(_catalog_illustrative(str(Path(path).resolve()), Path(path).stat().st_mtime))
    except (ConfigError, OSError, UnicodeDecodeError):
        return []


def illustrative_stamp(manifest: dict) -> str | None:
    """:data:`ILLUSTRATIVE_STAMP` when the run used an illustrative layer, else None."""
    return ILLUSTRATIVE_STAMP if illustrative_layers(manifest) else None


def stamped(title: str, manifest: dict) -> str:
    """``title`` with the illustrative stamp in front when the run used illustrative layers."""
    stamp = illustrative_stamp(manifest)
    return f"【{stamp}】{title}" if stamp else title


def manifest_for_output(manifest: dict) -> dict:
    """The manifest as ``run.json`` records it: times in Beijing time (ISO 8601, +08:00) with the time zone
    named, and, when the run used illustrative layers, ``illustrative: {stamp, layers}``."""
    out = dict(manifest)
    for key in ("started", "finished"):
        if out.get(key):
            out[key] = _iso_local(out[key])
    out["timezone"] = LOCAL_TZ_NAME
    layers = illustrative_layers(manifest)
    if layers:
        out["illustrative"] = {"stamp": ILLUSTRATIVE_STAMP, "layers": layers}
    return out
