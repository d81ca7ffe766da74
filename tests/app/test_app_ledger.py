"""The page with a ledger (AppTest): the card's history for everyone, recording only for a logged-in user."""

from __future__ import annotations

import json
import re
import sys

import pytest
from ledger_factory import finding
from streamlit.testing.v1 import AppTest
from test_app import APP

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import mapview as mv
from geo_screen.app.users import add_user
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.store import open_ledger


@pytest.fixture(scope="module")
def tiny_run(tiny_pack, tmp_path_factory):
    from conftest import registry_frame

    out = tmp_path_factory.mktemp("ledger_app")
    registry_frame().to_csv(out / "registry.csv", index=False)
    result = gs.screen(out / "registry.csv", gs.load_catalog(tiny_pack), crs="EPSG:4326")
    gs.write_results(result, out / "run")
    return out / "run", tiny_pack, gs.read_results(out / "run")


@pytest.fixture
def page(tiny_run, tmp_path, monkeypatch):
    """An AppTest of the page on the tiny run with a ledger holding one finding; ``users=True`` adds a users file."""
    results, catalog, result = tiny_run
    ents = result.enterprises
    row = ents[ents["name"] == "water_first"].iloc[0]
    ledger_path = tmp_path / "ledger.sqlite"
    with open_ledger(ledger_path) as ledger:
        ledger.append(
            [finding(row[R.ENTERPRISE_ID], "属实", note="首次核查"), Entry("note", "other", "李四", note="x")]
        )

    def make(*, users: bool, logged_in: bool = False):
        argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
        argv += ["--ledger", str(ledger_path)]
        if users:
            add_user(tmp_path / "users.yaml", "zhangsan", name="张三", password="correct horse 9")
            argv += ["--users", str(tmp_path / "users.yaml")]
        monkeypatch.setattr(sys, "argv", argv)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params["sel"] = mv.enterprise_keys(ents)[ents["name"] == "water_first"].iloc[0]
        if logged_in:  # as streamlit-authenticator leaves the session after a good password
            at.session_state["authentication_status"] = True
            at.session_state["name"], at.session_state["username"] = "张三", "zhangsan"
        return at

    return make, ledger_path, row, result


def history(at) -> list[str]:
    """The card's ledger history items, newest first, as they read (Markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown if m.value.startswith("**#")]


def map_args(at) -> dict:
    """The map component's arguments (the page also holds the login library's cookie component)."""
    (args,) = [a for a in (json.loads(c.proto.json_args) for c in at.get("component_instance")) if "script" in a]
    return args


def log_in(at, username: str, password: str) -> None:
    fields = {t.label: t for t in at.text_input}
    fields["用户名 / username"].input(username)
    fields["密码 / password"].input(password)
    next(b for b in at.button if b.label == "登录 / log in").click().run()


def test_card_shows_the_enterprises_ledger_history_read_only(page):
    make, _, _, _ = page
    at = make(users=False).run()
    assert not at.exception and not at.error
    (item,) = history(at)
    assert item.startswith("**#1 核查结论：属实**") and "张三" in item and "说明 首次核查" in item
    assert not [b for b in at.button if b.key == "fix_save"] and not [s for s in at.selectbox if s.key == "fix_value"]
    assert any("只读" in c.value for c in at.sidebar.caption)
    assert map_args(at)["returned_objects"] == ["last_object_clicked_tooltip"]  # no click places anything


def test_users_file_offers_a_login_and_no_recording_before_it(page):
    make, _, _, _ = page
    at = make(users=True).run()
    assert not at.exception and not at.error
    assert [t for t in at.text_input if t.label.startswith("用户名")]
    assert not [b for b in at.button if b.key == "fix_save"]


def test_wrong_password_is_refused_in_chinese(page):
    make, _, _, _ = page
    at = make(users=True).run()
    log_in(at, "zhangsan", "wrong password")
    assert any("用户名或密码不正确" in e.value for e in at.sidebar.error)
    assert not [b for b in at.button if b.key == "fix_save"]


def test_good_password_logs_in_and_offers_recording(page):
    make, _, _, _ = page
    at = make(users=True).run()
    log_in(at, "zhangsan", "correct horse 9")
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert [b for b in at.button if b.key == "fix_save"]


def test_logged_in_user_records_a_finding_shown_at_once(page):
    make, ledger_path, row, result = page
    at = make(users=True, logged_in=True).run()
    assert not at.exception
    at.selectbox(key="fix_value").set_value("整改不到位")
    at.text_area(key="fix_note").input("仍在生产")
    at.button(key="fix_save").click().run()
    assert not at.exception and not at.error
    assert any("已记入台账" in s.value for s in at.success)
    with open_ledger(ledger_path) as ledger:
        last = ledger.entries()[-1]
        assert ledger.check().ok
    assert (last.kind, last.value, last.note) == ("finding", "整改不到位", "仍在生产")
    assert last.enterprise_id == row[R.ENTERPRISE_ID] and last.recorded_by == "张三（zhangsan）"
    assert last.run_id == result.manifest["run_id"] and last.source_file == "app"
    assert [i.split("**")[1] for i in history(at)] == ["#3 核查结论：整改不到位", "#1 核查结论：属实"]
    assert "地图记录" in history(at)[0] and "说明 仍在生产" in history(at)[0]


def test_unknown_finding_value_is_a_chinese_message_and_nothing_recorded(page):
    make, ledger_path, _, _ = page
    at = make(users=True, logged_in=True).run()
    at.button(key="fix_save").click().run()  # nothing chosen
    assert any(e.value.startswith("未记录：核查结论") for e in at.error)
    with open_ledger(ledger_path) as ledger:
        assert len(ledger.entries()) == 2


def test_wrong_place_takes_the_clicked_location_shown_before_saving(page):
    make, ledger_path, row, _ = page
    at = make(users=True, logged_in=True).run()
    assert map_args(at)["returned_objects"] == ["last_object_clicked_tooltip", "last_clicked"]  # from the start
    at.selectbox(key="fix_value").set_value("位置有误").run()
    assert any("请在地图上点击" in i.value for i in at.info)
    at.session_state["fix_point"] = (120.9012345, 32.0123456)  # what on_map_click stores from a map click
    at.run()
    assert "更正位置（未保存）" in map_args(at)["feature_group"]
    at.button(key="fix_save").click().run()
    with open_ledger(ledger_path) as ledger:
        fix = ledger.entries()[-1]
    assert (fix.kind, fix.lon, fix.lat) == ("location_fix", 120.9012345, 32.0123456)
    assert history(at)[0].startswith("**#4 位置更正**") and "更正位置 120.901235, 32.012346" in history(at)[0]


def test_oidc_in_secrets_offers_streamlits_own_login_instead_of_the_users_file(page):
    make, _, _, _ = page
    at = make(users=True)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32}
    at.run()
    assert not at.exception
    assert [b for b in at.sidebar.button if b.key == "oidc_login"]
    assert not [t for t in at.text_input if t.label.startswith("用户名")]  # the users file's form is not shown
    assert not [b for b in at.button if b.key == "fix_save"]


def test_a_ledger_that_cannot_be_opened_is_said_in_the_sidebar_and_the_page_stays_read_only(
    tiny_run, tmp_path, monkeypatch
):
    results, catalog, _ = tiny_run
    argv = ["app.py", "--results", str(results), "--catalog", str(catalog), "--runs", str(tmp_path / "runs")]
    monkeypatch.setattr(sys, "argv", [*argv, "--ledger", "mysql://db/ledger"])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any(e.value.startswith("台账无法打开") and "postgresql://" in e.value for e in at.sidebar.error)
    assert not [m for m in at.markdown if "台账记录" in m.value]
