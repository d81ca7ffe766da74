"""Streamlit's own English strings, in Chinese where Streamlit lets the page change them.

Streamlit 1.67 has no locale setting. What the page controls is already Chinese-first: every label, placeholder
and help text. The rest is Streamlit's frontend; of it, this module's CSS replaces (hides the English text node
and writes the Chinese with ``::after``, keyed on Streamlit's stable ``data-testid`` / ``data-key`` attributes):

- the file uploader's button "Upload" -> 选择文件, its "200MB per file" -> 单个文件不超过 200 MB，可拖放到此处
  (the number follows ``server.maxUploadSize``), the drag overlay "Drag and drop a file here" -> 松开鼠标即上传;
- the multiselect's first option "Select all" -> 全选, and "Select N matches" while typing -> 全选匹配项.

These stay English (:data:`STILL_ENGLISH`): they have no stable attribute to key on or live in Streamlit's
own menus and dialogs, and overriding them would break with each Streamlit release.
"""

from __future__ import annotations

#: Streamlit strings that remain English, and why
STILL_ENGLISH: dict[str, str] = {
    "dataframe toolbar (Search, Download as CSV, Fullscreen) and its column menu's Select all": "Streamlit's "
    "own toolbar icons' tooltips and menu, no attribute per string",
    "main menu (Rerun, Settings, Print, About)": "toolbarMode=minimal hides most; the rest is Streamlit's menu",
    "status widget (Running…, Stop)": "transient, no attribute per string",
    "uploader's file-size text after a file is chosen (e.g. 12.3KB)": "units, readable as they are",
}


def streamlit_css(max_upload_mb: float = 200) -> str:
    """The ``<style>`` block replacing Streamlit's English strings listed in this module's docstring.

    Parameters
    ----------
    max_upload_mb
        ``server.maxUploadSize``, shown in the uploader's hint.

    Returns
    -------
    str
        A ``<style>`` element for ``st.markdown(..., unsafe_allow_html=True)``.
    """
    limit = f"{max_upload_mb:g}"
    rules = {
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p': "选择文件",
        '[data-testid="stFileUploaderDropzoneInstructions"] span': f"单个文件不超过 {limit} MB，可拖放到此处",
        '[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > *': "松开鼠标即上传",
        '[data-key="__select_all__"] [data-item-hl]': "全选",
        '[data-key="__select_matches__"] [data-item-hl]': "全选匹配项",
    }
    css = "".join(
        f"{selector}{{font-size:0 !important}}{selector}::after{{content:'{text}';font-size:0.875rem}}"
        for selector, text in rules.items()
    )
    return f"<style>{css}</style>"
