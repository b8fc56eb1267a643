"""Reading member lists: CSV (UTF-8 with or without BOM, GB18030/GBK; comma, tab, semicolon)
and Excel .xlsx (first sheet), streamed, with bounds (docs/member-import.md).

`read_preview` checks an upload and returns its header, first rows and row count, with a
suggested mapping of columns to fields; `iter_rows` streams the data rows of a stored file for
the job. The format is found from the content, never from the file name. Every error an
operator can cause is a `MemberFileError` with a translated message.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from shequn.imports.models import ImportFormat
from shequn.members.models import Channel

# Bounds (docs/member-import.md): the upload, the rows and columns read, the text of a cell.
MAX_FILE_SIZE = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 50
MAX_CELL_LENGTH = 500
MAX_HEADER_LENGTH = 64
PREVIEW_ROWS = 10
# How much of a CSV file decides its encoding and delimiter.
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",\t;"
# CSV cells: the csv module's own limit, so a file without line breaks cannot fill memory.
CSV_FIELD_LIMIT = 128 * 1024

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97–2003) and other OLE files

# The fields a column can be mapped to, in the order of the mapping form.
CHANNEL_FIELDS: dict[str, str] = {
    "wechat": Channel.WECHAT,
    "wecom": Channel.WECOM,
    "telegram": Channel.TELEGRAM,
    "qq": Channel.QQ,
    "feishu": Channel.FEISHU,
    "dingtalk": Channel.DINGTALK,
    "discord": Channel.DISCORD,
    "slack": Channel.SLACK,
}
FIELD_LABELS: dict[str, Any] = {
    "name": pgettext_lazy("member import field", "Name"),
    "phone": pgettext_lazy("member import field", "Phone"),
    "email": pgettext_lazy("member import field", "Email"),
    "wechat": pgettext_lazy("member import field", "WeChat ID"),
    "wecom": pgettext_lazy("member import field", "WeCom ID"),
    "telegram": pgettext_lazy("member import field", "Telegram ID"),
    "qq": pgettext_lazy("member import field", "QQ number"),
    "feishu": pgettext_lazy("member import field", "Feishu ID"),
    "dingtalk": pgettext_lazy("member import field", "DingTalk ID"),
    "discord": pgettext_lazy("member import field", "Discord ID"),
    "slack": pgettext_lazy("member import field", "Slack ID"),
    "community": pgettext_lazy("member import field", "Community"),
    "role": pgettext_lazy("member import field", "Role"),
    "joined_at": pgettext_lazy("member import field", "Joined on"),
    "notes": pgettext_lazy("member import field", "Notes"),
}
FIELDS = tuple(FIELD_LABELS)

# Column names recognised for each field (compared without case, spaces and punctuation).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "姓名",
        "名字",
        "昵称",
        "成员",
        "成员姓名",
        "称呼",
        "群昵称",
        "微信昵称",
        "真实姓名",
        "name",
        "fullname",
        "nickname",
        "displayname",
        "member",
        "membername",
    ),
    "phone": (
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系电话",
        "联系方式",
        "手机电话",
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "tel",
        "telephone",
        "cell",
    ),
    "email": ("邮箱", "电子邮箱", "邮件", "电子邮件", "邮箱地址", "email", "emailaddress", "mail"),
    "wechat": ("微信", "微信号", "微信id", "wechat", "wechatid", "weixin", "wx", "wxid"),
    "wecom": (
        "企业微信",
        "企微",
        "企业微信号",
        "企业微信id",
        "wecom",
        "wecomid",
        "wework",
        "workwechat",
        "enterprisewechat",
    ),
    "telegram": ("telegram", "telegramid", "telegramusername", "tg", "电报"),
    "qq": ("qq", "qq号", "qq号码", "qqid"),
    "feishu": ("飞书", "飞书id", "飞书号", "feishu", "feishuid", "lark"),
    "dingtalk": ("钉钉", "钉钉号", "钉钉id", "dingtalk", "dingtalkid", "dingding"),
    "discord": ("discord", "discordid"),
    "slack": ("slack", "slackid"),
    "community": (
        "社群",
        "群",
        "群名",
        "群名称",
        "社群名称",
        "社群名",
        "所在群",
        "所在社群",
        "群组",
        "community",
        "communityname",
        "group",
        "groupname",
    ),
    "role": ("角色", "身份", "群身份", "群角色", "role", "communityrole"),
    "joined_at": (
        "入群时间",
        "加入时间",
        "入群日期",
        "加入日期",
        "进群时间",
        "进群日期",
        "入会时间",
        "入会日期",
        "joined",
        "joinedat",
        "joinedon",
        "joindate",
        "joineddate",
        "datejoined",
    ),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
}
_NOT_IN_ALIAS = re.compile(r"[\s\-_.:：/()（）【】\[\]#*]+")


class MemberFileError(Exception):
    """A file that cannot be read as a member list; `message` is for the operator."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Preview:
    """What the preview page shows of an upload."""

    format: str
    headers: list[str]
    rows: list[list[str]]
    total_rows: int
    estimated: bool = False  # total_rows read from the workbook's own dimension
    encoding: str = ""
    delimiter: str = ""
    suggestion: dict[str, str] = field(default_factory=dict)


def _alias_key(header: str) -> str:
    return _NOT_IN_ALIAS.sub("", header.casefold())


_ALIAS_INDEX = {_alias_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """{field: header} for the columns whose names say what they hold (each used once).

    An exact name ("手机号", "Phone") wins; else the longest known name the header contains
    ("联系手机号" → phone), when only one field has a name of that length in it.
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        name = _ALIAS_INDEX.get(_alias_key(header))
        if name and name not in mapping:
            mapping[name] = header
            used.add(header)
    for header in headers:
        if header in used:
            continue
        key = _alias_key(header)
        best: dict[str, int] = {}
        for alias, name in _ALIAS_INDEX.items():
            if len(alias) >= 2 and alias in key and name not in mapping:
                best[name] = max(best.get(name, 0), len(alias))
        if not best:
            continue
        longest = max(best.values())
        winners = [name for name, length in best.items() if length == longest]
        if len(winners) == 1:
            mapping[winners[0]] = header
            used.add(header)
    return {name: mapping[name] for name in FIELDS if name in mapping}


def unique_headers(cells: list[str]) -> list[str]:
    """Header names as shown and stored in the mapping: blanks named by position ("#2"), repeats
    numbered ("电话", "电话 (2)"), each at most MAX_HEADER_LENGTH characters."""
    seen: dict[str, int] = {}
    headers: list[str] = []
    for position, cell in enumerate(cells, start=1):
        # "#3": the same in every language, as the job may run in another than the upload's.
        base = " ".join(cell.split())[:MAX_HEADER_LENGTH] or f"#{position}"
        seen[base] = seen.get(base, 0) + 1
        headers.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return headers


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or QQ number typed into a number cell
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    return text[: MAX_CELL_LENGTH + 1]  # one more: too long stays detectably too long


def _bounded(cells: list[Any]) -> list[str]:
    """The first MAX_COLUMNS cells as text, without the empty cells at the row's end."""
    texts = [_cell_text(value) for value in cells[:MAX_COLUMNS]]
    while texts and not texts[-1]:
        texts.pop()
    return texts


# Content detection ---------------------------------------------------------------------------


def detect_format(head: bytes) -> str:
    """ImportFormat.XLSX or CSV from the first bytes; MemberFileError for anything else."""
    if not head:
        raise MemberFileError(_("The file is empty."), "empty")
    if head.startswith(XLSX_MAGIC):
        return ImportFormat.XLSX
    if head.startswith(OLE_MAGIC):
        raise MemberFileError(
            _(
                "This is an old Excel file (.xls). Save it as Excel Workbook (.xlsx) or "
                "CSV and upload it again."
            ),
            "xls",
        )
    if b"\x00" in head:
        raise MemberFileError(_not_a_list(), "not_tabular")
    return ImportFormat.CSV


def _not_a_list() -> str:
    return _("This file is neither a CSV file nor an Excel workbook (.xlsx).")


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig (with a BOM), utf-8, or gb18030 (what Excel in China saves, a GBK superset)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=False)  # a character cut at the sample's end is fine
        except UnicodeDecodeError:
            continue
        return encoding
    raise MemberFileError(
        _("The file is not text in UTF-8 or GBK. Save it as CSV (UTF-8) and upload it again."),
        "encoding",
    )


def detect_delimiter(text: str) -> str:
    """The delimiter of the header line: the sniffer's guess among comma, tab and semicolon,
    else the one the first line holds most of (a single-column file: comma)."""
    first = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def is_garbled(cells: list[str]) -> bool:
    """Whether a CSV row held bytes that are not text in the file's encoding."""
    return any(REPLACEMENT in cell for cell in cells)


REPLACEMENT = "\ufffd"


# Readers ---------------------------------------------------------------------------------------


@dataclass
class RowReader:
    """The rows of one file: `header` (as shown), then `rows()` yields (line, cells) of the
    data rows. `position()` is how many bytes of the file were read so far (for progress)."""

    format: str
    header: list[str]
    _rows: Iterator[tuple[int, list[str]]]
    _position: Any
    encoding: str = ""
    delimiter: str = ""
    estimated_rows: int | None = None
    _close: Any = None

    def close(self) -> None:
        """Stop reading; the file itself stays open (the caller owns it)."""
        if self._close is not None:
            self._close()
            self._close = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return self._rows

    def position(self) -> int:
        return int(self._position())


def open_reader(file: IO[bytes]) -> RowReader:
    """A reader of `file` (binary, seekable, at its start); MemberFileError when it is not a
    member list: empty, of another type, without a header row."""
    head = file.read(SNIFF_BYTES)
    fmt = detect_format(head)
    file.seek(0)
    if fmt == ImportFormat.XLSX:
        return _xlsx_reader(file)
    return _csv_reader(file, head)


def _first_row(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for line, cells in rows:
        if any(cells):
            return line, cells
    raise MemberFileError(_("The file has no rows: not even a header row."), "empty")


def _csv_reader(file: IO[bytes], head: bytes) -> RowReader:
    encoding = detect_encoding(head)
    sample = head.decode(encoding, errors="ignore")
    if not sample.strip():
        raise MemberFileError(_("The file is empty."), "empty")
    delimiter = detect_delimiter(sample.lstrip("\ufeff"))
    # Bytes that are not text in the encoding become U+FFFD: that row is rejected (the job
    # keeps the others), see `is_garbled`.
    text = io.TextIOWrapper(file, encoding=encoding, errors="replace", newline="")
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for cells in reader:
                yield reader.line_num, _bounded(cells)
        except csv.Error as exc:
            raise MemberFileError(
                _("The file is not valid CSV at line %(line)s.") % {"line": reader.line_num},
                "csv",
            ) from exc

    iterator = rows()
    try:
        _first_line, header = _first_row(iterator)
    except BaseException:
        text.detach()
        raise
    return RowReader(
        format=ImportFormat.CSV,
        header=unique_headers(header),
        _rows=iterator,
        _position=file.tell,
        encoding=encoding,
        delimiter=delimiter,
        _close=text.detach,  # a closed wrapper would close the caller's file
    )


def _xlsx_reader(file: IO[bytes]) -> RowReader:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise MemberFileError(
            _("The Excel file cannot be read (it may be damaged or not a workbook)."), "xlsx"
        ) from exc
    if not workbook.worksheets:
        raise MemberFileError(_("The Excel file has no sheet."), "empty")
    sheet = workbook.worksheets[0]
    size = file.seek(0, io.SEEK_END)
    state = {"line": 0}

    def rows() -> Generator[tuple[int, list[str]]]:
        try:
            for line, values in enumerate(
                sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
            ):
                state["line"] = line
                yield line, _bounded(list(values))
        finally:
            workbook.close()

    try:
        estimated = int(sheet.max_row) if sheet.max_row else None
    except (TypeError, ValueError):
        estimated = None
    iterator: Generator[tuple[int, list[str]]] = rows()
    try:
        first_line, header = _first_row(iterator)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise MemberFileError(
            _("The Excel file cannot be read (it may be damaged or not a workbook)."), "xlsx"
        ) from exc

    def position() -> int:  # the workbook is unzipped as it is read: rows stand in for bytes
        if not estimated:
            return 0
        return min(size, size * state["line"] // max(estimated, 1))

    return RowReader(
        format=ImportFormat.XLSX,
        header=unique_headers(header),
        _rows=iterator,
        _position=position,
        estimated_rows=(estimated - first_line) if estimated else None,
        _close=iterator.close,
    )


def read_preview(file: IO[bytes]) -> Preview:
    """Check an upload and describe it for the preview page; MemberFileError when it is not a
    member list (see `open_reader`), has no recognisable column, or is over the bounds."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > MAX_FILE_SIZE:
        raise MemberFileError(
            _("The file is larger than %(size)s MB. Split it and upload the parts.")
            % {"size": MAX_FILE_SIZE // (1024 * 1024)},
            "too_large",
        )
    reader = open_reader(file)
    try:
        return _preview(reader)
    finally:
        reader.close()
        file.seek(0)


def _preview(reader: RowReader) -> Preview:
    suggestion = suggest_mapping(reader.header)
    if not suggestion:
        raise MemberFileError(
            _(
                "No column of this file is recognisable: the first row must name the columns, "
                "for example 姓名, 手机号, 邮箱, 微信号, 社群, 角色, 入群时间 "
                "(or Name, Phone, Email)."
            ),
            "no_columns",
        )
    shown: list[list[str]] = []
    total = 0
    estimated = False
    for _line, cells in reader.rows():
        if not any(cells):
            continue
        total += 1
        if len(shown) < PREVIEW_ROWS:
            shown.append(cells[: len(reader.header)] + [""] * (len(reader.header) - len(cells)))
        # A workbook is counted from its dimension (reading it all would take long).
        if len(shown) >= PREVIEW_ROWS and reader.estimated_rows is not None:
            total, estimated = max(total, reader.estimated_rows), True
            break
        if total > MAX_ROWS:
            raise MemberFileError(
                _("The file has more than %(max)s rows. Split it and upload the parts.")
                % {"max": f"{MAX_ROWS:,}"},
                "too_many_rows",
            )
    if estimated and total > MAX_ROWS:
        raise MemberFileError(
            _("The file has more than %(max)s rows. Split it and upload the parts.")
            % {"max": f"{MAX_ROWS:,}"},
            "too_many_rows",
        )
    if total == 0:
        raise MemberFileError(_("The file has a header row but no members under it."), "no_rows")
    return Preview(
        format=reader.format,
        headers=reader.header,
        rows=shown,
        total_rows=total,
        estimated=estimated,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        suggestion=suggestion,
    )
