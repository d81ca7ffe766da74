"""The app's own command-line arguments."""

from __future__ import annotations

from pathlib import Path

from geo_screen.app.args import AppArgs, app_args


def test_app_args_reads_its_own_and_ignores_streamlits():
    args = app_args(["--results", "out/demo", "--server.port", "1", "--catalog", "layers/x/catalog.yaml"])
    assert args == AppArgs(results=Path("out/demo"), catalog=Path("layers/x/catalog.yaml"))
    assert app_args([]) == AppArgs()
    assert app_args(["--server.port", "1"]).results is None


def test_runs_folder_defaults_under_the_working_directory():
    assert app_args([]).runs == Path("runs")
    assert app_args(["--runs", "/srv/geo_screen/runs"]).runs == Path("/srv/geo_screen/runs")


def test_ledger_and_users_file_are_the_apps_arguments():
    args = app_args(["--ledger", "county/ledger.sqlite", "--users", "users.yaml", "--server.port", "1"])
    assert args.ledger == "county/ledger.sqlite" and args.users == Path("users.yaml")
    assert app_args(["--ledger", "postgresql://gs@db/ledger"]).ledger == "postgresql://gs@db/ledger"
    assert app_args([]).ledger is None and app_args([]).users is None
