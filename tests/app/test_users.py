"""The map's users file: hashed passwords only, as streamlit-authenticator reads it, nothing that leaves the machine."""

from __future__ import annotations

import pytest
import yaml

from geo_screen.app import users
from geo_screen.cli import main
from geo_screen.errors import ConfigError


def test_added_user_has_only_a_hash_the_login_library_accepts(tmp_path):
    from streamlit_authenticator.utilities.hasher import Hasher

    path = tmp_path / "users.yaml"
    users.add_user(path, "ZhangSan", name="张三", password="correct horse 9")
    users.add_user(path, "lisi", name="李四", password="another one 8")
    text = path.read_text("utf-8")
    assert "correct horse" not in text and "张三" in text
    config = users.read_users(path)
    stored = config["credentials"]["usernames"]
    assert set(stored) == {"zhangsan", "lisi"} and stored["zhangsan"]["name"] == "张三"
    assert Hasher.check_pw("correct horse 9", stored["zhangsan"]["password"])
    assert not Hasher.check_pw("wrong", stored["zhangsan"]["password"])
    assert len(config["cookie"]["key"]) >= 32 and config["cookie"]["expiry_days"] == 1.0
    assert path.stat().st_mode & 0o077 == 0


def test_users_command_adds_a_user_from_stdin(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    path = tmp_path / "users.yaml"
    assert main(["users", "add", str(path), "wangwu", "--name", "王五", "--password-stdin"]) == 0
    assert "王五" in capsys.readouterr().out
    assert users.read_users(path)["credentials"]["usernames"]["wangwu"]["name"] == "王五"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", str(path), "zhaoliu", "--name", "赵六", "--password-stdin"]) == 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["credentials"]["usernames"]["zhangsan"].update(password="plain-text"), "不是 bcrypt 哈希"),
        (lambda c: c["credentials"]["usernames"]["zhangsan"].pop("name"), "缺少 name"),
        (lambda c: c.update(api_key="abc"), "api_key：会连接本机之外的服务器"),
        (lambda c: c["cookie"].update(key="short"), "cookie.key"),
        (lambda c: c["credentials"].update(usernames={}), "没有用户"),
    ],
)
def test_a_users_file_that_cannot_be_used_is_refused_with_the_fix(tmp_path, edit, message):
    path = tmp_path / "users.yaml"
    users.add_user(path, "zhangsan", name="张三", password="correct horse 9")
    config = yaml.safe_load(path.read_text("utf-8"))
    edit(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError, match=message):
        users.read_users(path)


def test_missing_users_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="geo-screen users add"):
        users.read_users(tmp_path / "nope.yaml")
