"""The map's users file: who may record findings when the office has no OIDC provider.

The file is the YAML streamlit-authenticator reads (``credentials.usernames.<user>.name/password`` and a
``cookie`` block); passwords are kept only as bcrypt hashes. :func:`add_user` writes a user with a hashed
password (``geo-screen users add users.yaml zhangsan --name 张三``); :func:`read_users` checks a file before the
page hands it to the login form: a plain-text password, a missing name or a setting that would reach a
server off the machine (the library's e-mail ``api_key``, ``oauth2``) is refused with a message saying how to
fix it.

>>> add_user("users.yaml", "zhangsan", name="张三", password="…")        # doctest: +SKIP
>>> read_users("users.yaml")["credentials"]["usernames"]["zhangsan"]["name"]  # doctest: +SKIP
'张三'
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import bcrypt
import yaml

from geo_screen.errors import ConfigError
from geo_screen.yamlfile import load_yaml

#: a bcrypt hash as streamlit-authenticator checks it ($2a$/$2b$/$2y$, cost, 53 characters of salt and hash)
BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
#: usernames: lower case (the library lowercases them), letters, digits, ``.``, ``_``, ``-``
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: the re-login cookie's lifetime in days (a working day by default)
COOKIE_DAYS = 1.0
#: settings that make streamlit-authenticator contact a server off the machine
_OFF_MACHINE = ("api_key", "oauth2")
_FIX = "用 geo-screen users add FILE USERNAME --name 姓名 重新设置 / set it again with `geo-screen users add`"


def hash_password(password: str) -> str:
    """The bcrypt hash of ``password`` (cost 12), as streamlit-authenticator's ``Hasher`` makes it."""
    if len(password) < 8:
        raise ConfigError("密码至少 8 个字符 / the password needs at least 8 characters")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(12)).decode("ascii")


def read_users(path: str | os.PathLike) -> dict:
    """Read and check a users file.

    Parameters
    ----------
    path
        The YAML file (``--users FILE``).

    Returns
    -------
    dict
        ``{"credentials": {"usernames": {...}}, "cookie": {"name", "key", "expiry_days"}}``, as
        ``streamlit_authenticator.Authenticate`` takes them.

    Raises
    ------
    ConfigError
        Naming the file and every problem: missing, not YAML, no users, a user without a name or with a
        password that is not a bcrypt hash, a cookie without a key, a setting that reaches off the machine.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"用户文件 {path.name} 不存在 / users file {path} does not exist; {_FIX}")
    try:
        config = load_yaml(path.read_text("utf-8"), where=str(path))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"用户文件 {path.name} 不是 UTF-8 YAML / is not UTF-8 YAML: {err}") from err
    problems = []
    if not isinstance(config, dict):
        config = {}
    users = (config.get("credentials") or {}).get("usernames") if isinstance(config.get("credentials"), dict) else None
    if not isinstance(users, dict) or not users:
        problems.append("没有用户（credentials.usernames 为空）/ no users under credentials.usernames")
        users = {}
    for name, user in users.items():
        if not USERNAME.match(str(name)):
            problems.append(f"用户名 {name!r} 只能用小写字母、数字和 . _ - / usernames are lower case a-z 0-9 . _ -")
        if not isinstance(user, dict) or not str(user.get("name") or "").strip():
            problems.append(f"用户 {name} 缺少 name（姓名，记入台账）/ user {name} has no name")
        elif not BCRYPT_HASH.match(str(user.get("password") or "")):
            problems.append(f"用户 {name} 的密码不是 bcrypt 哈希（不可存明文）/ {name}: password is not a bcrypt hash")
    cookie = config.get("cookie") if isinstance(config.get("cookie"), dict) else {}
    if len(str(cookie.get("key") or "")) < 32:
        problems.append("cookie.key 缺失或少于 32 个字符 / cookie.key is missing or shorter than 32 characters")
    problems += [
        f"{key}：会连接本机之外的服务器，不可使用 / {key} reaches a server off the machine: remove it"
        for key in _OFF_MACHINE
        if key in config
    ]
    if problems:
        raise ConfigError(f"用户文件 {path.name} 不可用 / users file {path} cannot be used：" + "；".join(problems))
    return {
        "credentials": {"usernames": {str(k): dict(v) for k, v in users.items()}},
        "cookie": {
            "name": str(cookie.get("name") or "geo_screen_login"),
            "key": str(cookie["key"]),
            "expiry_days": float(cookie.get("expiry_days", COOKIE_DAYS)),
        },
    }


def add_user(path: str | os.PathLike, username: str, *, name: str, password: str, email: str | None = None) -> None:
    """Add a user (or set a user's name and password) in the users file, creating it when missing.

    Parameters
    ----------
    path
        The users file; created with a random cookie key when it does not exist.
    username
        The login name (lower case letters, digits, ``.``, ``_``, ``-``).
    name
        The person's name, recorded in the ledger with every entry they make.
    password
        The password (at least 8 characters); only its bcrypt hash is written.
    email
        Optional; kept for the administrator.

    Raises
    ------
    ConfigError
        A bad username, a short password, or an existing file that cannot be read.
    """
    path = Path(path)
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ConfigError(f"用户名 {username!r} 只能用小写字母、数字和 . _ - / usernames are lower case a-z 0-9 . _ -")
    if not name.strip():
        raise ConfigError("请给出姓名（记入台账）/ give the person's name: --name")
    if path.exists():
        config = load_yaml(path.read_text("utf-8"), where=str(path)) or {}
        if not isinstance(config, dict):
            raise ConfigError(f"用户文件 {path} 不是 YAML 映射 / is not a YAML mapping")
    else:
        config = {}
    config.setdefault("cookie", {"name": "geo_screen_login", "key": secrets.token_hex(32), "expiry_days": COOKIE_DAYS})
    users = config.setdefault("credentials", {}).setdefault("usernames", {}) or {}
    config["credentials"]["usernames"] = users
    users[username] = {"name": name.strip(), "password": hash_password(password)} | ({"email": email} if email else {})
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    path.chmod(0o600)
