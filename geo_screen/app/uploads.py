"""Uploaded registries: size cap, zip path-traversal and decompression-bomb checks, saving to a temp dir, screening.

Everything a browser sends is checked before any byte is unpacked: the size
against a cap (the app passes Streamlit's ``server.maxUploadSize``), the type by
suffix and magic bytes, and every zip container (``.zip`` shapefiles, and
``.xlsx``, which is a zip too) by the zip policy of :mod:`geo_screen.inputs.archives`,
the same one the command line applies (member count, paths, links, sizes, ratio, and
the declared sizes verified by streaming). A zipped shapefile is never extracted to disk: it is saved as is and read
through GDAL's ``/vsizip/``.

>>> result = screen_upload("企业名录.csv", data, catalog, crs="gcj02")   # doctest: +SKIP
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo_screen import results as R
from geo_screen.errors import GeoScreenError, InputDataError
from geo_screen.inputs import archives

MB = 1024 * 1024
#: registry formats read by geo_screen.inputs.registry.read_registry
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".zip", ".gpkg", ".geojson", ".json")
ZIP_CONTAINERS = (".zip", ".xlsx", ".xlsm")
_MAGIC = {".zip": b"PK\x03\x04", ".xlsx": b"PK\x03\x04", ".xlsm": b"PK\x03\x04", ".gpkg": b"SQLite format 3\x00"}

#: CRS choices offered for an upload: value for parse_crs -> label
UPLOAD_CRS: dict[str, str] = {
    "gcj02": "GCJ-02（高德、腾讯地图坐标）",
    "bd09": "BD-09（百度地图坐标）",
    "EPSG:4326": "WGS84 经纬度（GPS，EPSG:4326）",
    "EPSG:4490": "CGCS2000 经纬度（EPSG:4490）",
    "EPSG:4549": "CGCS2000 高斯-克吕格 3度带 120°E（EPSG:4549）",
    "EPSG:4550": "CGCS2000 高斯-克吕格 3度带 123°E（EPSG:4550）",
    "EPSG:4528": "CGCS2000 3度带 带号40（EPSG:4528）",
}


@dataclass(frozen=True)
class UploadLimits(archives.ZipLimits):
    """Caps on one upload: the zip policy's caps, and ``max_bytes`` following the server's upload limit."""

    max_bytes: int = 200 * MB

    @classmethod
    def from_megabytes(cls, max_mb: float, **kwargs) -> UploadLimits:
        """Limits for a cap in megabytes (Streamlit's ``server.maxUploadSize`` unit)."""
        return cls(max_bytes=int(max_mb * MB), **kwargs)


def _suffix(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def check_upload(name: str, data: bytes, *, limits: UploadLimits = UploadLimits()) -> str:
    """Check an upload before it is saved or read; return its (lower-case) suffix.

    Raises
    ------
    InputDataError
        Empty or too large, a format geo_screen does not read, content that does not match
        the suffix, or an unsafe zip (see :func:`check_zip`).
    """
    suffix = _suffix(name)
    if not data:
        raise InputDataError(
            f"上传文件「{name}」是空文件（0 字节）：请重新导出名录后上传。 / upload {name!r} is empty (0 bytes); "
            "export the registry again and upload the file"
        )
    if len(data) > limits.max_bytes:
        raise InputDataError(
            f"上传文件「{name}」有 {len(data) / MB:,.1f} MB，超过上限 {limits.max_bytes / MB:,.0f} MB：请压缩为 .zip、"
            f"按县区拆分名录，或由管理员调大上限。 / upload {name!r} is {len(data) / MB:,.1f} MB but the limit is "
            f"{limits.max_bytes / MB:,.0f} MB; upload a zipped CSV/shapefile, split the registry by county, or raise "
            "server.maxUploadSize in .streamlit/config.toml"
        )
    if suffix not in ACCEPTED_SUFFIXES:
        hint_zh, hint = {
            ".xls": ("请在 Excel/WPS 中另存为 .xlsx 后上传", "; open it in Excel/WPS and save it as .xlsx"),
            ".shp": (
                "shapefile 须连同 .shx、.dbf、.prj、.cpg 一起压缩成一个 .zip 上传",
                "; a shapefile needs its .shx, .dbf, .prj and .cpg: zip them together and upload the .zip",
            ),
            ".dbf": (
                "请把它与 .shp、.shx、.prj、.cpg 一起压缩成一个 .zip 上传",
                "; zip it with its .shp, .shx, .prj and .cpg and upload the .zip",
            ),
        }.get(suffix, ("可上传 " + "、".join(ACCEPTED_SUFFIXES), ""))
        raise InputDataError(
            f"上传文件「{name}」（{suffix or '无后缀'}）不是可读取的名录格式：{hint_zh}。 / upload {name!r}: "
            f"{suffix or 'no suffix'} is not a registry format geo_screen reads{hint}; "
            f"accepted: {', '.join(ACCEPTED_SUFFIXES)}"
        )
    magic = _MAGIC.get(suffix)
    if magic and not data.startswith(magic):
        raise InputDataError(
            f"上传文件「{name}」内容与后缀不符（不是 {suffix} 文件）：请检查文件并以正确的后缀重新上传。 / "
            f"upload {name!r} is not a {suffix} file (its first bytes are {data[:8]!r}); "
            f"check the file and upload it again with its real suffix"
        )
    if suffix in ZIP_CONTAINERS:
        check_zip(data, name=name, limits=limits)
    return suffix


def _zip_error(name: str, message: str) -> InputDataError:
    """A refused archive: the Chinese headline first, then the English detail."""
    return InputDataError(
        f"上传的压缩包「{name}」无法安全读取，已拒绝：请只压缩名录文件（不含上级路径、链接或密码，一个 shapefile 或一个"
        f"工作簿），用普通压缩方式重新打包后上传。 / upload {message}"
    )


def check_zip(data: bytes, *, name: str = "upload.zip", limits: UploadLimits = UploadLimits()) -> list[zipfile.ZipInfo]:
    """Refuse zip archives that could escape a folder or expand without bound; return the member list.

    The policy is :func:`geo_screen.inputs.archives.check_zip`'s (the command line applies the same one);
    this adds the Chinese headline an upload's message starts with.
    """
    try:
        return archives.check_zip(data, name=name, limits=limits)
    except InputDataError as err:
        raise _zip_error(name, str(err)) from err


def safe_file_name(name: str) -> str:
    """A plain file name for ``name``: no folders, no control or reserved characters, suffix kept."""
    base = unicodedata.normalize("NFC", PurePosixPath(name.replace("\\", "/")).name)
    base = "".join(c for c in base if unicodedata.category(c) != "Cf")  # bidi overrides, zero-width spaces
    suffix = _suffix(base)
    stem = base[: len(base) - len(suffix)] if suffix else base
    stem = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", stem).strip(" .")
    return (stem[:80] or "registry") + re.sub(r"[^.\w]", "", suffix)


def save_upload(name: str, data: bytes, directory: str | Path, *, limits: UploadLimits = UploadLimits()) -> Path:
    """Check the upload (:func:`check_upload`) and write it, unopened, into ``directory``; return the path."""
    check_upload(name, data, limits=limits)
    path = Path(directory) / safe_file_name(name)
    path.write_bytes(data)
    return path


def progress_steps(update: Callable[[float, str], None], *, expected: int = 12) -> Callable[[str], None]:
    """Adapt :func:`geo_screen.screen`'s ``progress(message)`` to a bar: ``update(fraction, message)``."""
    state = {"done": 0}

    def step(message: str) -> None:
        state["done"] += 1
        update(min(0.95, state["done"] / expected), message)

    return step


def screen_upload(
    name: str,
    data: bytes,
    catalog,
    *,
    crs: str = "gcj02",
    limits: UploadLimits = UploadLimits(),
    progress: Callable[[str], None] | None = None,
    ledger=None,
) -> R.ScreenResult:
    """Check, save (to a temporary folder removed afterwards) and screen an uploaded registry.

    The manifest records the uploaded file name, not the temporary path. With the app's ``ledger`` (an open
    :class:`~geo_screen.ledger.store.Ledger`) the screening applies its findings and decisions and the result
    carries the verification columns (:func:`geo_screen.ledger.rescreen.screen`).
    """
    from geo_screen.ledger.rescreen import screen

    with tempfile.TemporaryDirectory(prefix="geo_screen-upload-") as tmp:
        path = save_upload(name, data, tmp, limits=limits)
        try:
            result = screen(path, catalog, ledger=ledger, crs=crs, progress=progress)
        except GeoScreenError as err:
            raise InputDataError(user_message(err, name=name, folder=tmp)) from err
    result.manifest.setdefault("input", {})["path"] = name
    result.manifest["input"]["uploaded"] = True
    return result


#: (English fragment of a reader error, what the planner can do about it in the app)
_ADVICE: tuple[tuple[str, str], ...] = (
    ("no location columns", "名录中没有坐标列：请添加“经度”“纬度”两列（或投影坐标 X、Y 列并选择对应坐标系）后重新上传"),
    ("cannot be decoded", "无法识别文件的文字编码：请在 Excel/WPS 中另存为“CSV UTF-8”后重新上传"),
    ("several layers", "GeoPackage 含多个图层：请只保留企业名录一个图层后重新上传"),
    ("shapefiles", "压缩包含多个 shapefile：请只压缩企业名录一个 shapefile 后重新上传"),
    ("no sheet", "请把名录放在工作簿的第一个工作表后重新上传"),
    ("is geographic", "坐标列是投影坐标（米）：请在“坐标系”中选择对应的高斯-克吕格坐标系"),
    ("is projected", "名录是经纬度：请在“坐标系”中选择经纬度坐标系（WGS84、CGCS2000、GCJ-02 或 BD-09）"),
)
#: clauses naming options of the Python API / CLI, which the app does not offer
_API_CLAUSE = re.compile(r"[^;.]*\b(pass|omit|drop) (one of them as )?(crs|layer|encoding|sheet)=[^;.]*[;.]?\s*")


_API_OPTION = re.compile(r"\b(crs|layer|encoding|sheet)=")


def user_message(err: Exception, *, name: str, folder: str | Path | None = None) -> str:
    """A screening error as the app shows it: Chinese first, the upload's name instead of server paths.

    Parameters
    ----------
    err
        The error the reader or the screening raised.
    name
        The uploaded file's name, as the user knows it.
    folder
        The temporary folder the upload was saved in (its path is replaced by nothing).

    Returns
    -------
    str
        ``无法筛查上传的名录「name」：<advice>。 / <English detail without paths or API options>``.
    """
    detail = str(err)
    if folder is not None:
        for form in {str(folder), str(Path(folder).resolve())}:
            detail = detail.replace(form + "/", "").replace(form, "")
    detail = _API_CLAUSE.sub("", detail).replace("with crs= the projected CRS", "and choose their CRS as 坐标系")
    detail = _API_OPTION.sub("坐标系 ", detail).strip().rstrip(";,") or type(err).__name__
    advice = next((zh for fragment, zh in _ADVICE if fragment in detail), "请检查名录文件后重新上传")
    return f"无法筛查上传的名录「{name}」：{advice}。 / {detail}"
