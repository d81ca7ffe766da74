"""The sidebar's source: the saved runs (the one the URL names, a results folder typed in), a registry uploaded and
screened into a new run, and the run the page shows."""

from __future__ import annotations

import streamlit as st

import geo_screen as gs
from geo_screen.app import plausibility, runs, uploads
from geo_screen.app.page import cache
from geo_screen.app.state import run_from_query


def query_params() -> dict[str, list[str]]:
    """The page's URL parameters, every value a list."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def check_upload_crs(result, catalog, crs, run_id):
    """The GCJ-02 offset test on an upload read as WGS84/CGCS2000; its warning stays while that run is shown."""
    warning = plausibility.gcj02_suspected(result.enterprises, catalog, crs=crs)
    st.session_state["crs_warning"] = (run_id, warning) if warning else None


def start_run(args):
    """First run of a session: the run the URL names, else the results folder the app was started with."""
    if "run_id" in st.session_state:
        return
    run_id = run_from_query(query_params())
    if run_id is None and args.results:
        try:
            run_id = runs.register_folder(args.results, args.runs).id
        except gs.GeoScreenError as e:
            st.session_state["source_error"] = f"读取结果文件夹失败 / cannot read the results folder：{e}"
    st.session_state["run_id"] = run_id


def on_results_folder(runs_dir):
    """A results folder typed in the sidebar: registered as a run and shown."""
    folder = st.session_state.get("results_dir", "").strip()
    if not folder:
        return
    try:
        st.session_state["run_id"] = runs.register_folder(folder, runs_dir).id
        st.session_state["selected"] = None
    except gs.GeoScreenError as e:
        st.session_state["source_error"] = f"读取结果文件夹失败 / cannot read the results folder：{e}"


def on_run_pick():
    """A run picked in the sidebar: shown, with no enterprise selected."""
    st.session_state["run_id"] = st.session_state["run_pick"] or None
    st.session_state["selected"] = None


def pick_run(args):
    """The run on screen: the saved run the session (or its URL) names, else the demo."""
    run_id = st.session_state.get("run_id")
    if run_id:
        try:
            return cache.saved_run(str(args.runs), run_id)
        except gs.GeoScreenError as e:
            st.sidebar.error(str(e))
            st.session_state["run_id"] = None
    return cache.demo()


def run_choice_label(saved: dict):
    """How the run pickers name a run id ("" is the demo)."""
    return lambda i: runs.run_label(saved[i]) if i in saved else (i or "演示数据（南通示例） / demo")


def sidebar_source(args, catalog_path, ledger=None):
    """The title, the runs list, the results folder and the upload; returns the saved runs by id."""
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
        format_func=run_choice_label(saved),
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
        upload(args, catalog_path, ledger)
    run_id, warning = st.session_state.get("crs_warning") or (None, None)
    if warning and run_id == st.session_state.get("run_id"):
        st.sidebar.warning(warning)
    return saved


def upload(args, catalog_path, ledger=None):
    """A registry uploaded, screened and saved as a new run (the run the page then shows)."""
    nonce = st.session_state.setdefault("upload_nonce", 0)
    file = st.file_uploader(  # every suffix accepted here: geo_screen.app.uploads explains refusals in Chinese
        "企业名录 / registry (CSV, XLSX, zipped shapefile, GeoPackage)",
        key=f"upload_file_{nonce}",
    )
    crs = st.selectbox("坐标系 / CRS", list(uploads.UPLOAD_CRS), format_func=uploads.UPLOAD_CRS.get, key="upload_crs")
    if st.button("开始筛查 / screen", disabled=file is None, type="primary", key="upload_go"):
        bar = st.progress(0.0, text="准备筛查 / starting…")
        step = uploads.progress_steps(lambda fraction, message: bar.progress(fraction, text=message))
        limits = uploads.UploadLimits.from_megabytes(st.get_option("server.maxUploadSize"))
        st.session_state["upload_nonce"] = nonce + 1  # the next run shows an empty uploader
        try:
            result = uploads.screen_upload(
                file.name,
                file.getvalue(),
                cache.load_catalog(catalog_path),
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
            check_upload_crs(result, cache.load_catalog(catalog_path), crs, info.id)
    if st.session_state.get("run_id") and st.button("返回演示数据 / back to the demo", key="upload_clear"):
        st.session_state["run_id"] = None
        st.session_state["selected"] = None
