"""Logging in to record findings: streamlit-authenticator's form over the users file (``--users FILE``) or
Streamlit's own OIDC login (``st.login``, when ``.streamlit/secrets.toml`` has an ``[auth]`` section); without
either, or without a ledger, the page is read-only."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.errors import StreamlitSecretNotFoundError

import geo_screen as gs
from geo_screen.app import casefile
from geo_screen.app.page import cache


def oidc_configured():
    """Whether the office's OIDC provider is set up for ``st.login`` (an ``[auth]`` section in secrets.toml)."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:  # no secrets.toml
        return False


def sidebar_login(args):
    """The logged-in user as the ledger records them, or None (read-only: no recording control)."""
    if oidc_configured():
        if st.user.get("is_logged_in", False):
            who = str(st.user.get("name") or st.user.get("email") or "")
            st.sidebar.caption(f"已登录 / logged in：{who}")
            st.sidebar.button("退出登录 / log out", on_click=st.logout, key="oidc_logout")
            return who or None
        st.sidebar.button("登录 / log in", on_click=st.login, key="oidc_login")
        return None
    if args.users is None:
        return None
    try:
        config = cache.users_from(str(args.users), args.users.stat().st_mtime if args.users.exists() else None)
    except gs.GeoScreenError as e:
        st.sidebar.error(str(e))
        return None
    cookie = config["cookie"]
    auth = stauth.Authenticate(
        config["credentials"], cookie["name"], cookie["key"], cookie["expiry_days"], auto_hash=False, login_sleep_time=0
    )
    if st.session_state.get("authentication_status"):
        name, username = st.session_state.get("name"), st.session_state.get("username")
        st.sidebar.caption(f"已登录 / logged in：{name}（{username}）")
        auth.logout("退出登录 / log out", location="sidebar", key="logout_button")
        return f"{name}（{username}）" if st.session_state.get("authentication_status") else None
    with st.sidebar.expander("登录以记录核查结论 / log in to record findings"):
        auth.login(
            location="main",
            key="login",
            fields={
                "Form name": "登录 / log in",
                "Username": "用户名 / username",
                "Password": "密码 / password",
                "Login": "登录 / log in",
            },
        )
    if st.session_state.get("authentication_status") is False:
        st.sidebar.error("用户名或密码不正确 / wrong username or password")
    if st.session_state.get("authentication_status"):  # just logged in: record from this run on
        return f"{st.session_state.get('name')}（{st.session_state.get('username')}）"
    return None


def app_ledger(args):
    """The ledger the app was started with, open (None: none given, or it cannot be opened: said in the sidebar)."""
    if not args.ledger:
        return None
    try:
        return cache.ledger_for(args.ledger)
    except gs.GeoScreenError as e:
        st.session_state["source_error"] = f"台账无法打开 / the ledger cannot be opened：{e}"
        return None


def ledger_user(args, ledger):
    """Who is logged in (None: read-only) and whether anyone can log in to record (a users file or OIDC: the map
    then reports clicks, for corrected locations)."""
    if ledger is None:
        return None, False
    user = sidebar_login(args)
    mode = "" if user else "（只读 / read-only）"
    st.sidebar.caption(f"台账 / ledger：{casefile.ledger_where(args.ledger)}{mode}")
    return user, args.users is not None or oidc_configured()
