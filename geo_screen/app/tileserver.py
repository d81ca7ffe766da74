"""A local tile folder served by the app itself: a small threaded HTTP server for ``{z}/{x}/{y}.png``.

Streamlit's static serving (``server.enableStaticServing``) publishes only the ``./static`` folder beside
``app.py``, so an office's tile folder (often gigabytes, elsewhere on the disk) would have to be copied or
linked there. Instead each ``kind: folder`` basemap gets its own :class:`http.server.ThreadingHTTPServer`, bound
to the app's own address (``server.address`` in ``.streamlit/config.toml``; 127.0.0.1 when unset), in a daemon
thread of the app's process: the planner's browser fetches the tiles from the same machine as the page.

Only paths of the form ``/<z>/<x>/<y>.<suffix>`` with integer parts are answered (404 otherwise: no listing,
no other file, no path traversal). The server never starts a connection of its own.

>>> sources = serve_sources(load_basemaps("basemaps.yaml").sources(), host="127.0.0.1")   # doctest: +SKIP
>>> sources["local"].url                                                                 # doctest: +SKIP
'http://127.0.0.1:43117/{z}/{x}/{y}.png'
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from geo_screen.app.basemaps import BasemapSource
from geo_screen.errors import ConfigError

_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_SERVERS: dict[tuple[str, str, int, str], TileFolderServer] = {}
_LOCK = threading.Lock()


class _TileHandler(BaseHTTPRequestHandler):
    server: TileFolderServer

    def do_GET(self) -> None:  # http.server's name for the GET handler
        server = self.server
        match = server.pattern.fullmatch(self.path.split("?", 1)[0])
        tile = server.folder / match[1] / match[2] / f"{match[3]}.{server.suffix}" if match else None
        if tile is None or not tile.is_file():
            self.send_error(404)
            return
        data = tile.read_bytes()
        server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", _MIME[server.suffix])
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=86400")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # tile requests go unlogged
        return


class TileFolderServer(ThreadingHTTPServer):
    """A threaded HTTP server answering ``/<z>/<x>/<y>.<suffix>`` from ``folder``; ``served`` counts tiles sent."""

    daemon_threads = True

    def __init__(self, folder: Path, *, host: str, port: int = 0, suffix: str = "png"):
        super().__init__((host, port), _TileHandler)
        self.folder = Path(folder)
        self.suffix = suffix
        self.pattern = re.compile(rf"/(\d{{1,2}})/(\d{{1,8}})/(\d{{1,8}})\.{re.escape(suffix)}")
        self.served = 0

    @property
    def url(self) -> str:
        """The XYZ template the browser uses for these tiles."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/{{z}}/{{x}}/{{y}}.{self.suffix}"


def serve_folder(
    folder: str | Path, *, host: str = "127.0.0.1", port: int = 0, suffix: str = "png"
) -> TileFolderServer:
    """Serve a tile folder in a daemon thread (one server per folder, host, port and suffix in a process).

    Parameters
    ----------
    folder
        Tiles as ``{z}/{x}/{y}.<suffix>`` (XYZ numbering, as Leaflet requests them).
    host
        The address to bind and to name in tile URLs: the app's own ``server.address``.
    port
        0 for any free port.
    suffix
        The tiles' file suffix.

    Returns
    -------
    TileFolderServer
        The running server; ``url`` is its tile template.

    Raises
    ------
    ConfigError
        When the address or port cannot be bound.
    """
    key = (str(Path(folder).resolve()), host, port, suffix)
    with _LOCK:
        if key not in _SERVERS:
            try:
                server = TileFolderServer(Path(folder), host=host, port=port, suffix=suffix)
            except OSError as e:
                raise ConfigError(
                    f"本地瓦片服务无法启动 / cannot serve the tile folder {folder} on {host}:{port} ({e.strerror}); "
                    "set server.address in .streamlit/config.toml to this machine's address, or choose another port"
                ) from e
            threading.Thread(target=server.serve_forever, name=f"tiles:{server.url}", daemon=True).start()
            _SERVERS[key] = server
        return _SERVERS[key]


def serve_sources(sources: dict[str, BasemapSource], *, host: str = "127.0.0.1") -> dict[str, BasemapSource]:
    """The configured basemaps with every ``folder`` source served (:func:`serve_folder`) and turned into XYZ.

    Parameters
    ----------
    sources
        id -> source, from :meth:`geo_screen.app.basemaps.BasemapConfig.sources`.
    host
        The app's address (``server.address``); ``0.0.0.0`` or empty serves on 127.0.0.1.

    Returns
    -------
    dict
        id -> source, folder sources now ``kind: xyz`` with the local server's URL.
    """
    host = host if host and host not in ("0.0.0.0", "::") else "127.0.0.1"
    out = {}
    for key, source in sources.items():
        if source.kind == "folder":
            server = serve_folder(source.folder, host=host, port=source.port, suffix=source.suffix)
            source = source.model_copy(update={"kind": "xyz", "url": server.url})
        out[key] = source
    return out
