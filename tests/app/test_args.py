"""The app's own command-line arguments."""

from __future__ import annotations

from pathlib import Path

from geo_screen.app.args import AppArgs, app_args


def test_app_args_reads_its_own_and_ignores_streamlits():
    args = app_args(["--results", "out/demo", "--server.port", "1", "--catalog", "layers/x/catalog.yaml"])
    assert args == AppArgs(results=Path("out/demo"), catalog=Path("layers/x/catalog.yaml"))
    assert app_args([]) == AppArgs()
    assert app_args(["--server.port", "1"]).results is None
