"""The zip policy for every archive geo_screen opens (zipped shapefiles, and workbooks, which are zips too).

One policy for the command line and the app, applied before anything is unpacked: at most ``max_members``
members; no absolute, ``..``, drive-letter or NUL paths; no symlinks, encryption or nested archives; each
member and all of them together below their uncompressed caps (sidecar text files such as ``.cpg`` and
``.prj`` are a few bytes, so they get a small cap of their own; a workbook's XML has its own cap); and a
compression ratio below ``max_ratio``. The declared sizes are then verified by streaming every member
through the decompressor (bounded; nothing is written), because headers can lie.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo_screen.errors import InputDataError

MB = 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tar", ".tgz", ".bz2", ".xz")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: small text members of a shapefile: their content is a code page name or a CRS
SIDECAR_SUFFIXES = (".cpg", ".prj", ".qpj")


@dataclass(frozen=True)
class ZipLimits:
    """Caps on one archive."""

    max_members: int = 200
    max_unpacked_bytes: int = 1024 * MB
    max_ratio: float = 200.0
    #: members smaller than this are not ratio-checked (tiny files compress absurdly well)
    ratio_floor_bytes: int = 1 * MB
    #: a .cpg / .prj / .qpj member
    max_sidecar_bytes: int = 1 * MB
    #: all members of a workbook together (openpyxl holds a sheet's XML as a tree several times its size)
    max_workbook_xml_bytes: int = 256 * MB


def suffix_of(name: str) -> str:
    """The lower-case suffix of a member or file name (``\\`` read as a folder separator)."""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def unsafe_member_name(member: str) -> str | None:
    """Why a member path is unsafe to extract, or None."""
    if "\x00" in member:
        return "contains a NUL byte"
    path = member.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "is an absolute path"
    if ".." in PurePosixPath(path).parts:
        return "climbs out of the archive with '..'"
    return None


def check_zip(
    source: bytes | str | Path, *, name: str | None = None, limits: ZipLimits = ZipLimits()
) -> list[zipfile.ZipInfo]:
    """Refuse an archive that could escape a folder or expand without bound; return its member list.

    Parameters
    ----------
    source
        The archive's bytes, or its path.
    name
        The archive's name in messages (default: the path's name, or ``upload.zip``).
    limits
        The caps.

    Raises
    ------
    InputDataError
        Naming the archive, the members at fault and the cap they break.
    """
    name = name or (Path(source).name if isinstance(source, str | Path) else "upload.zip")
    workbook = suffix_of(name) in WORKBOOK_SUFFIXES
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as err:
        raise InputDataError(
            f"{name!r} is not a readable zip archive ({err}); zip the files again "
            "(Windows: Send to > Compressed folder) or export the workbook again"
        ) from err
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise InputDataError(
                f"{name!r} holds {len(infos):,} files; at most {limits.max_members} are "
                "accepted; zip only the registry (one shapefile: .shp .shx .dbf .prj .cpg)"
            )
        problems = _member_problems(infos, name=name, limits=limits, workbook=workbook)
        if problems:
            raise InputDataError(
                f"{name!r} was refused before unpacking: "
                + "; ".join(problems[:10])
                + "; zip only the registry files, without folders outside it, links or passwords"
            )
        total = limits.max_workbook_xml_bytes if workbook else limits.max_unpacked_bytes
        _verify_members(archive, infos, name=name, limit=min(total, limits.max_unpacked_bytes))
    return infos


def _member_problems(infos: list[zipfile.ZipInfo], *, name: str, limits: ZipLimits, workbook: bool) -> list[str]:
    problems, total = [], 0
    for info in infos:
        why = unsafe_member_name(info.filename)
        if why:
            problems.append(f"{info.filename!r} {why}")
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"{info.filename!r} is a symbolic link")
        if info.flag_bits & 0x1:
            problems.append(f"{info.filename!r} is encrypted")
        if suffix_of(info.filename) in ARCHIVE_SUFFIXES and suffix_of(name) == ".zip":
            problems.append(f"{info.filename!r} is an archive inside the archive")
        if suffix_of(info.filename) in SIDECAR_SUFFIXES and info.file_size > limits.max_sidecar_bytes:
            problems.append(
                f"{info.filename!r} unpacks to {info.file_size / MB:,.1f} MB (a {suffix_of(info.filename)} file "
                f"holds a few bytes; limit {limits.max_sidecar_bytes / MB:,.0f} MB)"
            )
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            problems.append(
                f"{info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f}-fold "
                f"(limit {limits.max_ratio:,.0f}), the mark of a zip bomb"
            )
    if total > limits.max_unpacked_bytes:
        problems.append(
            f"members add up to {total / MB:,.0f} MB unpacked (limit {limits.max_unpacked_bytes / MB:,.0f} MB)"
        )
    if workbook and total > limits.max_workbook_xml_bytes:
        problems.append(
            f"the workbook's XML adds up to {total / MB:,.0f} MB unpacked (limit "
            f"{limits.max_workbook_xml_bytes / MB:,.0f} MB); split the registry by county or export CSV"
        )
    return problems


def _verify_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], *, name: str, limit: int) -> None:
    """Stream each member through the decompressor (bounded) to prove the declared sizes and CRCs true."""
    seen = 0
    for info in infos:
        if info.is_dir():
            continue
        size = 0
        try:
            with archive.open(info) as fh:
                while chunk := fh.read(MB):
                    size += len(chunk)
                    seen += len(chunk)
                    if size > info.file_size or seen > limit:
                        raise InputDataError(
                            f"{name!r}: {info.filename!r} unpacks to more than it declares; "
                            "the archive was refused as a possible zip bomb"
                        )
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as err:
            raise InputDataError(
                f"{name!r}: {info.filename!r} cannot be unpacked ({err}); "
                "zip the files again with ordinary (deflate) compression"
            ) from err
        if size != info.file_size:
            raise InputDataError(
                f"{name!r}: {info.filename!r} unpacks to {size:,} bytes but declares "
                f"{info.file_size:,}; the archive is damaged, zip the files again"
            )
