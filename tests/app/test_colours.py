"""Map colours from the rules: the severity ramp follows the precedence of the rules a run was screened with, and
neighbouring severities stay distinguishable to colour-blind planners (Machado et al. 2009 simulation)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, component_args
from test_mapview import enterprise_payload, html_of

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import mapview as mv
from geo_screen.app import state as explore
from geo_screen.app import symbols
from geo_screen.screening.rules import DEFAULT_RULES
from geo_screen.vocabulary import DISPOSITION_ZH

SHIPPED = "precedence: [close, relocate, demolish, eliminate, stop, per_law, transform, rectify, none]"
EDITED = "precedence: [stop, close, relocate, demolish, eliminate, per_law, transform, rectify, none]"


@pytest.fixture(scope="module")
def edited_run(tiny_pack, tmp_path_factory):
    """The tiny registry screened with an edited rules copy where 停产 (stop) comes first."""
    from conftest import registry_frame

    out = tmp_path_factory.mktemp("edited_rules")
    text = DEFAULT_RULES.read_text("utf-8")
    assert SHIPPED in text
    rules = out / "rules.yaml"
    rules.write_text(text.replace(SHIPPED, EDITED), encoding="utf-8")
    registry = out / "registry.csv"
    registry_frame().to_csv(registry, index=False)
    catalog = gs.load_catalog(tiny_pack)
    result = gs.screen(registry, catalog, crs="EPSG:4326", rules=rules)
    gs.write_results(result, out / "run")
    return out, rules, result


def test_ramp_follows_the_runs_rules(edited_run):
    _, rules, result = edited_run
    run = explore.prepare(result)
    assert list(run.styles)[:2] == ["stop", "close"]
    assert run.styles["stop"][0] == symbols.SEVERITY_RAMP[0] != symbols.DISPOSITION_STYLES["stop"][0]
    payload = enterprise_payload(html_of(mv.build_map(result.enterprises, styles=run.styles)))
    assert payload["styles"][0]["label"] == DISPOSITION_ZH["stop"] and payload["styles"][0]["fill"] == "#800026"
    counts = explore.disposition_counts(result.enterprises, run.styles)
    assert counts["code"].iloc[0] == "stop" and counts["颜色"].iloc[0] == "#800026"
    # shipped rules: the shipped order
    shipped = explore.prepare(gs.ScreenResult(result.enterprises, result.hits, {"rules": {"path": str(DEFAULT_RULES)}}))
    assert list(shipped.styles)[0] == "close"


def test_a_changed_or_missing_rules_file_falls_back_to_the_shipped_order(edited_run, tmp_path):
    _, rules, result = edited_run
    assert symbols.run_precedence(result.manifest)[0] == "stop"
    changed = {"rules": {**result.manifest["rules"], "sha256": "0" * 64}}
    assert symbols.run_precedence(changed) == R.DISPOSITION_CODES
    assert symbols.run_precedence({"rules": {"path": str(tmp_path / "gone.yaml")}}) == R.DISPOSITION_CODES
    assert symbols.run_precedence({}) == R.DISPOSITION_CODES


def test_page_draws_an_edited_precedence(edited_run, monkeypatch, tmp_path):
    out, _, _ = edited_run
    argv = ["app.py", "--results", str(out / "run"), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", argv)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    styles = enterprise_payload(component_args(at)["script"])["styles"]
    assert [s["label"] for s in styles[:2]] == [DISPOSITION_ZH["stop"], DISPOSITION_ZH["close"]]


# --------------------------------------------------------------------------- colour-blind check

#: Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
#: CIE76 colour difference two neighbouring severities keep under every simulation (2.3 is a just-noticeable
#: difference; 5 reads as clearly different colours side by side)
MIN_DELTA_E = 5.0


def _linear(hex_colours: list[str]) -> np.ndarray:
    c = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hex_colours]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = linear @ np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                             [0.0193339, 0.1191920, 0.9503041]]).T  # fmt: skip
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


@pytest.mark.parametrize("precedence", [R.DISPOSITION_CODES, EDITED.split("[")[1].rstrip("]").split(", ")])
@pytest.mark.parametrize("vision", ["normal", *MACHADO])
def test_neighbouring_severities_stay_distinguishable(vision, precedence):
    styles = symbols.disposition_styles(precedence)
    filled = [fill for code, (fill, _, _) in styles.items() if code != R.NOT_ASSESSED_DISPOSITION]  # hollow: a ring
    linear = _linear(filled)
    if vision != "normal":
        linear = np.clip(linear @ np.array(MACHADO[vision]).T, 0, 1)
    delta = np.linalg.norm(np.diff(_lab(linear), axis=0), axis=1)
    assert delta.min() >= MIN_DELTA_E, dict(zip(list(styles)[1:], delta.round(1)))


def test_the_print_layout_and_the_card_use_the_runs_colours(edited_run):
    from geo_screen.app import card as cards
    from geo_screen.app import printout

    _, _, result = edited_run
    run = explore.prepare(result)
    handles = printout.legend_entries(result.enterprises, [], run.styles)
    assert handles[0][1].startswith(DISPOSITION_ZH["stop"]) and handles[0][0].get_markerfacecolor() == "#800026"
    codes = result.enterprises[R.DISPOSITION]
    key, code = next(
        (k, codes.iloc[i])
        for k, i in run.key_index.items()
        if run.styles[codes.iloc[i]] != symbols.DISPOSITION_STYLES[codes.iloc[i]]
    )
    assert cards.enterprise_card(run, key).colour == run.styles[code][0] != symbols.DISPOSITION_STYLES[code][0]
