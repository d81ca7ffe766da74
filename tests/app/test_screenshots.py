"""The README's screenshots of the planner's map: present, PNG, small, and shown in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ("first_view.png", "card.png", "print_layout.png", "runs.png", "changes.png")


@pytest.mark.parametrize("name", SHOTS)
def test_screenshot_is_a_small_png_shown_in_the_readme(name):
    path = ROOT / "docs" / "screenshots" / name
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) <= 300_000, f"{name} is {len(data) / 1000:.0f} KB; retake with scripts/screenshots.py"
    assert f"](docs/screenshots/{name})" in (ROOT / "README.md").read_text("utf-8")


def test_the_script_retakes_every_screenshot():
    text = (ROOT / "scripts" / "screenshots.py").read_text("utf-8")
    assert all(f'"{name}"' in text for name in SHOTS)
