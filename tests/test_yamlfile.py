"""YAML with an expansion budget: alias bombs and recursive anchors refused before any graph is walked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geo_screen.errors import ConfigError
from geo_screen.yamlfile import compose_yaml, load_yaml

ROOT = Path(__file__).resolve().parents[1]


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs document: ``levels`` levels of ``width`` aliases each (width**levels leaves)."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_ordinary_anchors_are_fine():
    text = "base: &b {x: 1}\none: *b\ntwo: *b\n"
    assert load_yaml(text, where="t.yaml") == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}
    assert compose_yaml(text, where="t.yaml") is not None


@pytest.mark.parametrize("reader", [load_yaml, compose_yaml])
def test_alias_bomb_refused(reader):
    with pytest.raises(ConfigError, match=r"t\.yaml.*aliases"):
        reader(alias_bomb(), where="t.yaml")


def test_recursive_anchor_refused():
    with pytest.raises(ConfigError, match="refers to itself"):
        load_yaml("a: &a [1, *a]\n", where="t.yaml")


def test_empty_document():
    assert load_yaml("", where="t.yaml") is None


BOMB_RUN = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
from geo_screen.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _bounded(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "bounded.py"
    script.write_text(BOMB_RUN)
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_alias_bomb_in_a_catalog_is_exit_2_in_bounded_memory(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(alias_bomb() + "name: bomb\nlayers: *a9\n", encoding="utf-8")
    done = _bounded("layers", "check", str(catalog), tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "aliases" in done.stderr


def test_alias_bomb_in_a_rules_file_is_exit_2_in_bounded_memory(tmp_path, tiny_pack):
    rules = tmp_path / "rules.yaml"
    rules.write_text(alias_bomb() + "name: bomb\nprecedence: *a9\n", encoding="utf-8")
    registry = tmp_path / "r.csv"
    registry.write_text("统一社会信用代码,经度,纬度\nX,120.86,32.01\n", encoding="utf-8")
    args = ["screen", str(registry), "--layers", str(tiny_pack), "--out", str(tmp_path / "o"), "--rules", str(rules)]
    done = _bounded(*args, "-q", tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "aliases" in done.stderr


def test_load_model_names_the_file_every_bad_field_and_the_allowed_keys(tmp_path):
    from pydantic import BaseModel, ConfigDict

    from geo_screen.yamlfile import load_model

    class Settings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        unit: str
        days: int = 7

    path = tmp_path / "s.yaml"
    path.write_text("unit: 通州区\n", encoding="utf-8")
    assert load_model(path, Settings, what="settings file", missing="copy one") == Settings(unit="通州区")
    path.write_text("days: x\nday: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_model(path, Settings, what="settings file", missing="copy one")
    text = str(err.value)
    assert text.startswith(f"settings file {path} is invalid: ")
    assert "unit: Field required" in text and "days: Input should be a valid integer" in text and "(found 'x')" in text
    assert "day: Extra inputs are not permitted (found 3)" in text and text.endswith("allowed keys: unit, days")
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping with the keys unit, days"):
        load_model(path, Settings, what="settings file", missing="copy one")
    with pytest.raises(ConfigError, match="does not exist; copy one"):
        load_model(tmp_path / "none.yaml", Settings, what="settings file", missing="copy one")
