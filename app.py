"""落后产能退出筛查地图 / the planner's map.

``streamlit run app.py [-- --results DIR] [--catalog catalog.yaml] [--runs DIR] [--basemaps basemaps.yaml]
[--ledger LEDGER] [--users FILE]``.

A thin page over geo_screen: everything it shows comes from geo_screen.app.args (its arguments),
geo_screen.app.state (filters, counts, URL state), geo_screen.app.card (the enterprise card),
geo_screen.app.mapview and geo_screen.app.maplayers (the offline folium map and its layers),
geo_screen.app.basemaps and geo_screen.app.tileserver (basemaps, an office's own, local tile folders),
geo_screen.app.charts (the counts tab's charts), geo_screen.app.downloads (download files), geo_screen.app.viewexport
and geo_screen.app.printout (the current view as files and as a print layout), geo_screen.app.uploads (checked
uploads), geo_screen.app.plausibility (the upload's GCJ-02 offset test), geo_screen.app.runs (saved runs),
geo_screen.app.localise (Streamlit's own strings in Chinese), geo_screen.app.casefile (the card's ledger history and
recording a finding), geo_screen.app.users (the users file), geo_screen.app.verification (verification status on the
map) and geo_screen.vocabulary (labels). Logging in is streamlit-authenticator's form (``--users FILE``) or
Streamlit's own OIDC login (``st.login``, when ``.streamlit/secrets.toml`` has an ``[auth]`` section); without either
the page is read-only.
"""

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_folium import st_folium

import geo_screen as gs
from geo_screen.app import (
    basemaps,
    casefile,
    charts,
    downloads,
    localise,
    maplayers,
    mapview,
    plausibility,
    printout,
    runs,
    tileserver,
    uploads,
    verification,
    viewexport,
)
from geo_screen.app import card as cards
from geo_screen.app import state as explore
from geo_screen.app.args import app_args
from geo_screen.app.users import read_users
from geo_screen.ledger.store import open_ledger
from geo_screen.pack.metric import pack_metric_crs
from geo_screen.runtime import tune_arrow_memory
from geo_screen.vocabulary import RESULT_EN, RESULT_ZH, VERDICT, VERDICTS, WRONG_PLACE

st.set_page_config(page_title="落后产能退出筛查地图", page_icon="🗺️", layout="wide")
tune_arrow_memory()
st.markdown("<style>.block-container{padding-top:2.2rem;padding-bottom:1rem}</style>", unsafe_allow_html=True)
MAP_HEIGHT = 640
FILTER_KINDS = (
    ("counties", "县（市、区）"),
    ("industries", "行业"),
    ("standards", "触及标准"),
    ("dispositions", "处置方式"),
    ("row_statuses", "行状态 / row status"),
    ("verifications", f"{VERDICT} / verification"),  # offered when the run was screened with the ledger
)


@st.cache_resource(show_spinner="加载图层包 / loading the layer pack…")
def load_catalog(path):
    return gs.load_catalog(path)


@st.cache_resource(show_spinner="准备图层 / preparing layers…")
def display_layers(path):
    return maplayers.display_layers(load_catalog(path))


@st.cache_resource(show_spinner="筛查演示名录 / screening the demo registry…")
def demo_run(catalog_path, registry_path, crs, indicators_path):
    grades = gs.grade(indicators_path)  # the demo's performance grades, as `geo-screen demo` computes them
    return explore.prepare(gs.screen(registry_path, load_catalog(catalog_path), crs=crs, grades=grades))


@st.cache_resource(max_entries=8, show_spinner="读取筛查记录 / reading the run…")
def saved_run(runs_dir, run_id):
    return explore.prepare(runs.load_run(runs_dir, run_id))


@st.cache_resource(max_entries=16, show_spinner=False)
def buffers_for(run_id, filters_key, catalog_path, _run, _filters):
    shown = explore.apply_filters(_run, _filters)
    return maplayers.sanitary_buffers(shown, crs=pack_metric_crs(load_catalog(catalog_path)))


@st.cache_resource(show_spinner=False)
def office_basemaps(path, address):
    """The office's basemaps (``--basemaps FILE``), local tile folders served on the app's address."""
    if not path:
        return {}, None
    config = basemaps.load_basemaps(path)
    return tileserver.serve_sources(config.sources(), host=address), config.default


def sidebar_basemap(args):
    """The basemap picker: "none", the office's sources, the online ones; returns (basemap, Tianditu key)."""
    sources, default = office_basemaps(str(args.basemaps or ""), st.get_option("server.address") or "")
    offered = basemaps.choices(sources)
    if not st.session_state.get("basemap_read"):  # first run of this session: the URL (or the file) chooses
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        st.session_state["basemap"] = explore.basemap_from_query(params, list(offered), default or "none")
        st.session_state["basemap_read"] = True
    st.sidebar.subheader("底图 / basemap")
    basemap = st.sidebar.selectbox(
        "底图", list(offered), format_func=offered.get, key="basemap", label_visibility="collapsed"
    )
    token = None
    if basemap == "tianditu":
        token = (
            st.sidebar.text_input(
                "天地图密钥 / Tianditu key",
                type="password",
                key="tianditu_key",
                help=f"或设置环境变量 {basemaps.TIANDITU_ENV}",
            )
            or None
        )
    if basemaps.is_online(basemap):
        st.sidebar.caption("在线底图会向地图服务商请求瓦片；离线使用请选“无底图”。")
    elif basemap in sources:
        datum = {"gcj02": "GCJ-02，图上点位已偏移显示", "cgcs2000": "CGCS2000", "wgs84": "WGS84"}
        st.sidebar.caption(f"单位底图（{datum[sources[basemap].datum]}）：瓦片来自内网或本机，不访问互联网。")
    return sources.get(basemap, basemap), token


def buffer_note(buffers, omitted):
    """What the buffer layer leaves out, shown on the map only while that layer is switched on."""
    return f"卫生防护距离图层只画出前 {len(buffers):,} 家（另有 {omitted:,} 家），请缩小筛选范围。" if omitted else None


def check_upload_crs(result, catalog, crs, run_id):
    """The GCJ-02 offset test on an upload read as WGS84/CGCS2000; its warning stays while that run is shown."""
    warning = plausibility.gcj02_suspected(result.enterprises, catalog, crs=crs)
    st.session_state["crs_warning"] = (run_id, warning) if warning else None


def on_map_click():
    value = st.session_state.get("map") or {}
    if st.session_state.get("fix_picking"):  # recording 位置有误: a click places the corrected location
        point = casefile.clicked_lonlat(
            value.get("last_clicked"), basemap=st.session_state.get("basemap_shown", "none")
        )
        if point:
            st.session_state["fix_point"] = point
        return
    key = mapview.key_from_tooltip(value.get("last_object_clicked_tooltip"))
    if key:
        st.session_state["selected"] = key


def on_table_select():
    rows = st.session_state["table"].selection.rows
    keys = st.session_state.get("table_keys", [])
    if rows and rows[0] < len(keys):
        st.session_state["selected"] = keys[rows[0]]


def start_run(args):
    """First run of a session: the run the URL names, else the results folder the app was started with."""
    if "run_id" in st.session_state:
        return
    run_id = explore.run_from_query({k: st.query_params.get_all(k) for k in st.query_params})
    if run_id is None and args.results:
        try:
            run_id = runs.register_folder(args.results, args.runs).id
        except gs.GeoScreenError as e:
            st.session_state["source_error"] = f"读取结果文件夹失败 / cannot read the results folder：{e}"
    st.session_state["run_id"] = run_id


def on_results_folder(runs_dir):
    folder = st.session_state.get("results_dir", "").strip()
    if not folder:
        return
    try:
        st.session_state["run_id"] = runs.register_folder(folder, runs_dir).id
        st.session_state["selected"] = None
    except gs.GeoScreenError as e:
        st.session_state["source_error"] = f"读取结果文件夹失败 / cannot read the results folder：{e}"


def on_run_pick():
    st.session_state["run_id"] = st.session_state["run_pick"] or None
    st.session_state["selected"] = None


def pick_run(args):
    """The run on screen: the saved run the session (or its URL) names, else the demo."""
    run_id = st.session_state.get("run_id")
    if run_id:
        try:
            return saved_run(str(args.runs), run_id)
        except gs.GeoScreenError as e:
            st.sidebar.error(str(e))
            st.session_state["run_id"] = None
    demo = gs.demo_paths()
    return demo_run(str(demo["catalog"]), str(demo["registry"]), demo["crs"], str(demo["indicators"]))


def sidebar_source(args, catalog_path, ledger=None):
    st.sidebar.title("落后产能退出筛查")
    st.sidebar.caption("通政办发〔2017〕179号 · 综合标准筛查 / screening map")
    start_run(args)
    if st.session_state.get("source_error"):
        st.sidebar.error(st.session_state.pop("source_error"))
    saved = {r.id: r for r in runs.list_runs(args.runs)}
    choices = ["", *saved]
    if st.session_state["run_id"] and st.session_state["run_id"] not in saved:
        choices.append(st.session_state["run_id"])  # reported as missing below, by pick_run
    st.session_state["run_pick"] = st.session_state["run_id"] or ""
    st.sidebar.selectbox(
        "筛查记录 / runs",
        choices,
        format_func=lambda i: runs.run_label(saved[i]) if i in saved else (i or "演示数据（南通示例） / demo"),
        key="run_pick",
        on_change=on_run_pick,
        help="每次筛查（上传的名录或结果文件夹）都保存为一条记录；链接中的 run= 指向它。",
    )
    st.sidebar.text_input(
        "结果文件夹 / results folder",
        key="results_dir",
        on_change=on_results_folder,
        args=(args.runs,),
        help="服务器上 geo-screen screen ... --out DIR 的输出目录，回车后加入筛查记录",
    )
    with st.sidebar.expander("筛查新名录 / screen a new registry", expanded=False):
        nonce = st.session_state.setdefault("upload_nonce", 0)
        file = st.file_uploader(  # every suffix accepted here: geo_screen.app.uploads explains refusals in Chinese
            "企业名录 / registry (CSV, XLSX, zipped shapefile, GeoPackage)",
            key=f"upload_file_{nonce}",
        )
        crs = st.selectbox(
            "坐标系 / CRS", list(uploads.UPLOAD_CRS), format_func=uploads.UPLOAD_CRS.get, key="upload_crs"
        )
        if st.button("开始筛查 / screen", disabled=file is None, type="primary", key="upload_go"):
            bar = st.progress(0.0, text="准备筛查 / starting…")
            step = uploads.progress_steps(lambda fraction, message: bar.progress(fraction, text=message))
            limits = uploads.UploadLimits.from_megabytes(st.get_option("server.maxUploadSize"))
            st.session_state["upload_nonce"] = nonce + 1  # the next run shows an empty uploader
            try:
                result = uploads.screen_upload(
                    file.name,
                    file.getvalue(),
                    load_catalog(catalog_path),
                    crs=crs,
                    limits=limits,
                    progress=step,
                    ledger=ledger,  # the app's ledger: the run carries verification status
                )
                info = runs.save_run(result, args.runs)
            except gs.GeoScreenError as e:
                bar.empty()
                st.error(str(e))
            else:
                bar.progress(1.0, text="筛查完成 / done")
                st.session_state["run_id"] = info.id
                st.session_state["selected"] = None
                check_upload_crs(result, load_catalog(catalog_path), crs, info.id)
        if st.session_state.get("run_id") and st.button("返回演示数据 / back to the demo", key="upload_clear"):
            st.session_state["run_id"] = None
            st.session_state["selected"] = None
    run_id, warning = st.session_state.get("crs_warning") or (None, None)
    if warning and run_id == st.session_state.get("run_id"):
        st.sidebar.warning(warning)


def sidebar_filters(run, args):
    if not st.session_state.get("url_read"):  # first run of this session: the URL sets the view
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        start = explore.filters_from_query(params, run)
        for kind, _ in FILTER_KINDS:
            st.session_state[f"f_{kind}"] = list(getattr(start, kind))
        st.session_state["f_search"] = start.search
        st.session_state["selected"] = explore.selected_from_query(params, run)
        st.session_state["url_read"] = True
    st.sidebar.subheader("筛选 / filters")
    st.sidebar.text_input("搜索名称或统一社会信用代码 / search", key="f_search", placeholder="例如：化工 或 91320612…")
    chosen = {}
    for kind, label in FILTER_KINDS:
        options = run.options[kind]
        key = f"f_{kind}"
        if not options:  # e.g. no verification status: the run was screened without the ledger
            chosen[kind] = ()
            continue
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v in options]
        chosen[kind] = tuple(
            st.sidebar.multiselect(
                label,
                options,
                key=key,
                placeholder="全部 / all",
                format_func=lambda v, k=kind: explore.option_label(k, v),
            )
        )
    basemap, token = sidebar_basemap(args)
    return explore.Filters(**chosen, search=st.session_state["f_search"].strip()), basemap, token


def show_card(run):
    card = cards.enterprise_card(run, st.session_state.get("selected") or "")
    if card is None:
        st.info(
            "点击地图上的企业（或在下方列表中选中一行）查看详情。\n\nClick an enterprise on the map, "
            "or select a row in the list below, to see its evidence."
        )
        return
    st.markdown(cards.card_header_html(card), unsafe_allow_html=True)
    if card.reasons:
        st.warning(
            f"**{len(card.reasons)} 项标准未评估 / not assessed**\n\n"
            + "\n".join(f"- {cards.markdown_escape(r)}" for r in card.reasons)
        )
    for warning in card.warnings:
        st.warning(warning)
    for hit in card.hits:
        with st.container(border=True):
            st.markdown(f"**{cards.markdown_escape(hit['标准'])}** → {cards.markdown_escape(hit['处置'])}")
            st.markdown(cards.markdown_escape(hit["证据"]))
            st.caption(cards.markdown_escape(hit["法律依据"]))
    st.dataframe(card.facts, hide_index=True, width="stretch")
    st.markdown("**各项标准 / every standard**")
    st.table(card.standards[["标准", "结果", "证据"]].set_index("标准"))  # wraps the evidence, never truncates
    if card.legal_basis:
        st.caption(f"综合处置依据 / basis：{cards.markdown_escape(card.legal_basis)}")


def download_buttons(items, *, key: str):
    for column, item in zip(st.columns(len(items)), items):
        column.download_button(
            item.label,
            data=item.make,
            file_name=item.file_name,
            mime=item.mime,
            on_click="ignore",
            key=f"{key}_{item.file_name}",
            width="stretch",
        )


def view_downloads(run, shown, filters, catalog_path, selected):
    """The current view (the filtered enterprises, as on the list and the map) as files and as a print layout."""
    st.markdown("**当前视图 / this view**")
    st.caption("；".join(viewexport.filters_in_words(filters)) + f"（{len(shown):,} 家企业）")
    chosen = run.enterprises.iloc[[run.key_index[selected]]] if selected else None
    prints = printout.print_downloads(
        run, shown, filters, layers=display_layers(catalog_path), catalog=load_catalog(catalog_path), selected=chosen
    )
    download_buttons(viewexport.view_downloads(run, shown, filters) + prints, key="view")


def print_styles():
    """The browser's own print (Ctrl+P): no sidebar, header or toolbar; the title, counts and map on page 1,
    the map column the page's width; the card, list and tabs follow on the next pages."""
    st.markdown(
        """<style>@media print {
  @page { size: A4 portrait; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { margin-left: 0 !important; padding-left: 0 !important; }
  .block-container { padding: 0 !important; max-width: 100% !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) { flex-wrap: wrap !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"] {
    width: 100% !important; flex: 1 1 100% !important; min-width: 100% !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"]:first-child { break-inside: avoid; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"]:nth-child(2) { break-before: page; }
  [data-testid="stVerticalBlock"] { gap: 0.4rem !important; }
}</style>""",
        unsafe_allow_html=True,
    )


def localise_streamlit():
    """Streamlit's own English strings in Chinese where it allows (geo_screen.app.localise says which remain)."""
    st.markdown(localise.streamlit_css(st.get_option("server.maxUploadSize")), unsafe_allow_html=True)


# --------------------------------------------------------------------------- login and the ledger


@st.cache_resource(show_spinner=False)
def ledger_for(target):
    return open_ledger(target)


@st.cache_data(show_spinner=False)
def users_from(path, modified):
    return read_users(path)  # a copy per call (read again when the file changes): the login library writes into it


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
        config = users_from(str(args.users), args.users.stat().st_mtime if args.users.exists() else None)
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


def save_finding(ledger, uscc, user, run_id):
    try:
        entries = casefile.record_finding(
            ledger,
            uscc,
            value=st.session_state.get("fix_value"),
            note=st.session_state.get("fix_note"),
            lonlat=st.session_state.get("fix_point"),
            by=user,
            run_id=run_id,
        )
    except gs.GeoScreenError as e:
        st.session_state["fix_error"] = str(e)
        return
    st.session_state["fix_done"] = f"已记入台账（第 {entries[0].seq} 条）/ recorded in the ledger"
    st.session_state["fix_value"], st.session_state["fix_note"], st.session_state["fix_point"] = None, "", None


def show_ledger(run, ledger, user):
    """The selected enterprise's ledger history (everyone) and, logged in, the control recording a finding."""
    selected = st.session_state.get("selected")
    uscc = casefile.enterprise_id(run, selected) if selected else None
    if uscc is None:
        return
    st.markdown("**台账记录 / ledger history**")
    table = casefile.history_table(ledger.entries(uscc))
    if table.empty:
        st.caption("台账中没有该企业的记录 / no ledger entries yet")
    else:
        with st.container(border=True, key="ledger_history"):
            for item in casefile.history_markdown(table):
                st.markdown(item)
    if not user:
        return
    with st.container(border=True):
        st.markdown("**记录核查结论 / record a finding**")
        value = st.selectbox(VERDICT, VERDICTS, index=None, placeholder="请选择 / choose", key="fix_value")
        st.text_area("核查情况说明 / note", key="fix_note", height=80)
        if value == WRONG_PLACE:
            point = st.session_state.get("fix_point")
            st.info(
                "请在地图上点击企业的正确位置 / click the correct location on the map"
                if point is None
                else f"更正位置 {point[0]:.6f}, {point[1]:.6f}：地图上的蓝色菱形，保存前可重新点击"
            )
        st.button(
            "保存到台账 / save to the ledger",
            type="primary",
            key="fix_save",
            on_click=save_finding,
            args=(ledger, uscc, user, run.result.manifest.get("run_id")),
        )
    if st.session_state.get("fix_done"):
        st.success(st.session_state.pop("fix_done"))
    if st.session_state.get("fix_error"):
        st.error(st.session_state.pop("fix_error"))


def fix_location_mode(selected, user):
    """Whether a map click now places a corrected location (logged in, 位置有误 chosen for the selection)."""
    if st.session_state.get("fix_for") != selected:  # another enterprise: start its finding afresh
        st.session_state["fix_for"] = selected
        st.session_state["fix_point"] = None
        st.session_state.pop("fix_value", None)
        st.session_state.pop("fix_note", None)
    picking = bool(user and selected and st.session_state.get("fix_value") == WRONG_PLACE)
    st.session_state["fix_picking"] = picking
    return picking


def app_ledger(args):
    """The ledger the app was started with, open (None: none given, or it cannot be opened: said in the sidebar)."""
    if not args.ledger:
        return None
    try:
        return ledger_for(args.ledger)
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


def main():
    localise_streamlit()
    args = app_args()
    print_styles()
    catalog_path = str(args.catalog or gs.demo_paths()["catalog"])
    ledger = app_ledger(args)
    sidebar_source(args, catalog_path, ledger)
    run = pick_run(args)
    filters, basemap, token = sidebar_filters(run, args)
    st.session_state["basemap_shown"] = basemap  # an office source (its datum) or a built-in id: clicks undo its shift
    user, recordable = ledger_user(args, ledger)
    shown = explore.apply_filters(run, filters)
    if st.session_state.get("selected") not in run.key_index:
        st.session_state["selected"] = None
    selected = st.session_state["selected"]
    picking = fix_location_mode(selected, user)
    query = explore.query_from_state(
        filters, selected=selected, basemap=st.session_state["basemap"], run_id=st.session_state["run_id"]
    )
    st.query_params.from_dict(query)

    st.title("落后产能退出综合标准筛查地图")
    st.caption(explore.source_caption(run.result))
    total, now = explore.summary_counts(run.enterprises), explore.summary_counts(shown)
    cols = st.columns(5)
    cols[0].metric("企业 / enterprises", f"{now['enterprises']:,}", help=f"全部 {total['enterprises']:,} 家")
    cols[1].metric("触及标准 / flagged", f"{now['flagged']:,}")
    cols[2].metric(f"{RESULT_ZH['clear']} / {RESULT_EN['clear']}", f"{now['none']:,}")
    cols[3].metric(f"{RESULT_ZH['not_assessed']} / {RESULT_EN['not_assessed']}", f"{now['not_assessed']:,}")
    cols[4].metric("无有效位置 / no location", f"{now['no_location']:,}")

    map_col, card_col = st.columns([5, 3], gap="medium")
    with map_col:
        buffers, omitted = buffers_for(run.run_id, repr(filters), catalog_path, run, filters)
        fmap = mapview.build_map(
            shown,
            keys=run.keys,
            layers=display_layers(catalog_path) + verification.verification_layers(shown),
            buffers=buffers,
            basemap=basemap,
            tianditu_token=token,
            buffer_note=buffer_note(buffers, omitted),
            styles=run.styles,
        )
        chosen = run.enterprises.iloc[[run.key_index[selected]]] if selected else None
        ring = None
        if chosen is not None:
            ring = mapview.selection_layer(
                chosen,
                basemap=basemap,
                buffer=maplayers.sanitary_buffers(chosen, crs=pack_metric_crs(load_catalog(catalog_path)))[0],
                focus_zoom=None if picking else 15,  # placing a corrected location: the view stays put
            )
            if picking and st.session_state.get("fix_point"):
                casefile.add_fix_marker(ring, st.session_state["fix_point"], basemap=basemap)
        st_folium(
            fmap,
            key="map",
            height=MAP_HEIGHT,
            use_container_width=True,
            on_change=on_map_click,
            returned_objects=["last_object_clicked_tooltip", *(["last_clicked"] if recordable else [])],
            feature_group_to_add=ring,
        )
        notes = [f"{now['no_location']:,} 家企业无有效位置，未在地图上显示。"] if now["no_location"] else []
        if now["enterprises"] > 10_000:
            notes.append("企业较多：低缩放级别下按位置聚合，圆圈数字为企业数，边框颜色为其中最严重的处置方式。")
        for note in notes:
            st.caption(note)
    with card_col, st.container(height=MAP_HEIGHT + 30, border=False):
        show_card(run)
        if ledger is not None:
            show_ledger(run, ledger, user)

    table_tab, chart_tab, download_tab = st.tabs(["企业列表 / list", "统计 / counts", "下载 / downloads"])
    with table_tab:
        table = explore.results_table(run, shown)
        st.session_state["table_keys"] = list(table["编号"])
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=420,
            key="table",
            on_select=on_table_select,
            selection_mode="single-row",
        )
    with chart_tab:
        left, right = st.columns(2)
        left.markdown("**按处置方式 / by disposition**")
        counts = explore.disposition_counts(shown, run.styles)
        left.vega_lite_chart(counts, explore.disposition_chart_spec(counts), width="stretch")
        right.markdown("**触及标准企业按县区 / flagged by county**")
        by_county = explore.county_counts(shown, styles=run.styles)
        if len(by_county):
            data, spec = charts.county_chart_spec(by_county, explore.county_colours(by_county, run.styles))
            right.vega_lite_chart(data, spec, width="stretch")
        else:
            right.caption("当前筛选无触及标准的企业。")
    with download_tab:
        view_downloads(run, shown, filters, catalog_path, selected)
        st.markdown("**全部筛查结果 / the whole run**")
        st.caption("全部筛查结果（不受左侧筛选影响）。县区核查包含企业点位 shapefile、证据表、字段说明和现场核查表。")
        counties = downloads.package_counties(run.result)
        start = (
            counties.index(filters.counties[0]) if len(filters.counties) == 1 and filters.counties[0] in counties else 0
        )
        county = (
            st.selectbox("县区核查包 / county package", counties, index=start, key="package_county", width=320)
            if counties
            else None
        )
        download_buttons(downloads.downloads(run.result, county=county), key="dl")


try:
    main()
except gs.GeoScreenError as e:
    st.error(str(e))
