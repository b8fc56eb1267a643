"""Reading member lists: encodings, delimiters, .xlsx, the mapping suggestion, bad files."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence

import pytest
from django.utils import translation
from openpyxl import Workbook

from shequn.imports import member_files
from shequn.imports.member_files import (
    MemberFileError,
    is_garbled,
    open_reader,
    read_preview,
    suggest_mapping,
    unique_headers,
)

ROWS = "姓名,手机号,邮箱,微信号\n王伟,138 1234 5678,Wang@Example.com,wx-wang\n李娜,13900001111,,\n"


def xlsx(rows: Sequence[Sequence[object]], *, title: str = "成员") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(data: bytes) -> member_files.Preview:
    return read_preview(io.BytesIO(data))


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROWS.encode("utf-8"), "utf-8"),
        (ROWS.encode("utf-8-sig"), "utf-8-sig"),
        (ROWS.encode("gbk"), "gb18030"),
        (ROWS.encode("gb18030"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_csv_in_every_encoding_reads_the_same(data: bytes, encoding: str) -> None:
    result = preview(data)
    assert result.format == "csv"
    assert result.encoding == encoding
    assert result.delimiter == ","
    assert result.headers == ["姓名", "手机号", "邮箱", "微信号"]
    assert result.rows == [
        ["王伟", "138 1234 5678", "Wang@Example.com", "wx-wang"],
        ["李娜", "13900001111", "", ""],
    ]
    assert result.total_rows == 2
    assert result.estimated is False
    assert result.suggestion == {
        "name": "姓名",
        "phone": "手机号",
        "email": "邮箱",
        "wechat": "微信号",
    }


def test_tab_separated_and_semicolon_separated() -> None:
    tab = preview("姓名\t手机\t社群\n张三\t13800000000\t上海沙龙群\n".encode("gbk"))
    assert tab.delimiter == "\t"
    assert tab.rows == [["张三", "13800000000", "上海沙龙群"]]
    semi = preview(b"Name;Phone\nBob;13800000000\n")
    assert semi.delimiter == ";"
    assert semi.rows == [["Bob", "13800000000"]]


def test_quoted_cells_with_commas_and_line_breaks() -> None:
    result = preview('姓名,备注\n"王伟","上海, 浦东\n第二行"\n李娜,无\n'.encode())
    assert result.rows == [["王伟", "上海, 浦东\n第二行"], ["李娜", "无"]]
    assert result.total_rows == 2


def test_blank_rows_are_not_counted_and_short_rows_are_padded() -> None:
    result = preview("姓名,手机,邮箱\n\n王伟\n,,\n李娜,13900001111\n".encode())
    assert result.rows == [["王伟", "", ""], ["李娜", "13900001111", ""]]
    assert result.total_rows == 2


def test_xlsx_first_sheet_streamed_with_numbers_and_dates() -> None:
    data = xlsx(
        [
            ["姓名", "手机号码", "入群时间", "QQ号"],
            ["王伟", 13812345678, datetime.datetime(2024, 3, 1, 9, 30), 12345],
            ["李娜", "139 0000 1111", datetime.date(2024, 3, 2), None],
        ]
    )
    result = preview(data)
    assert result.format == "xlsx"
    assert result.headers == ["姓名", "手机号码", "入群时间", "QQ号"]
    assert result.rows == [
        ["王伟", "13812345678", "2024-03-01 09:30:00", "12345"],
        ["李娜", "139 0000 1111", "2024-03-02 00:00:00", ""],
    ]
    assert result.total_rows == 2
    assert result.suggestion == {
        "name": "姓名",
        "phone": "手机号码",
        "qq": "QQ号",
        "joined_at": "入群时间",
    }


def test_xlsx_large_sheet_is_counted_from_its_dimension() -> None:
    data = xlsx([["Name", "Email"], *[[f"P{i}", f"p{i}@example.com"] for i in range(25)]])
    result = preview(data)
    assert len(result.rows) == member_files.PREVIEW_ROWS
    assert result.total_rows == 25
    assert result.estimated is True


def test_rows_of_the_reader_carry_their_line_numbers() -> None:
    reader = open_reader(io.BytesIO("\n\n姓名,手机\n王伟,1\n\n李娜,2\n".encode()))
    assert reader.header == ["姓名", "手机"]
    assert [(line, cells) for line, cells in reader.rows() if cells] == [
        (4, ["王伟", "1"]),
        (6, ["李娜", "2"]),
    ]


def test_suggestion_in_chinese() -> None:
    headers = [
        "序号",
        "昵称",
        "手机",
        "电子邮箱",
        "企业微信",
        "飞书",
        "钉钉号",
        "所在群",
        "身份",
        "加入时间",
        "备注",
    ]
    assert suggest_mapping(headers) == {
        "name": "昵称",
        "phone": "手机",
        "email": "电子邮箱",
        "wecom": "企业微信",
        "feishu": "飞书",
        "dingtalk": "钉钉号",
        "community": "所在群",
        "role": "身份",
        "joined_at": "加入时间",
        "notes": "备注",
    }


def test_suggestion_in_english_ignores_case_spaces_and_punctuation() -> None:
    headers = [
        "Full Name",
        "Mobile Phone",
        "E-mail",
        "WeChat ID",
        "Telegram",
        "Group",
        "Role",
        "Date joined",
        "ID",
    ]
    assert suggest_mapping(headers) == {
        "name": "Full Name",
        "phone": "Mobile Phone",
        "email": "E-mail",
        "wechat": "WeChat ID",
        "telegram": "Telegram",
        "community": "Group",
        "role": "Role",
        "joined_at": "Date joined",
    }


def test_suggestion_by_a_contained_name_and_each_column_once() -> None:
    # "联系手机号" holds 手机号; the second 姓名 column is not used twice; "微信昵称" is a name.
    assert suggest_mapping(["联系手机号", "姓名", "姓名 (2)", "公司"]) == {
        "name": "姓名",
        "phone": "联系手机号",
    }
    assert suggest_mapping(["微信昵称", "微信号"]) == {"name": "微信昵称", "wechat": "微信号"}


def test_unique_headers_number_repeats_and_name_blanks() -> None:
    assert unique_headers(["电话", "", "电话", " 姓  名 ", "电话"]) == [
        "电话",
        "#2",
        "电话 (2)",
        "姓 名",
        "电话 (3)",
    ]


def _error(data: bytes, language: str = "en") -> MemberFileError:
    with translation.override(language), pytest.raises(MemberFileError) as info:
        preview(data)
    return info.value


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty", "The file is empty."),
        (b"\n\n  \n", "empty", "The file is empty."),
        ("姓名,手机\n".encode(), "no_rows", "The file has a header row but no members under it."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "not_tabular",
            "This file is neither a CSV file nor an Excel workbook (.xlsx).",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "xls",
            "This is an old Excel file (.xls). Save it as Excel Workbook (.xlsx) or CSV and "
            "upload it again.",
        ),
        (
            _zip({"word/document.xml": b"<w/>"}),
            "xlsx",
            "The Excel file cannot be read (it may be damaged or not a workbook).",
        ),
        (
            b"PK\x03\x04 cut off",
            "xlsx",
            "The Excel file cannot be read (it may be damaged or not a workbook).",
        ),
        (
            b"\xff\xfe\xfa\xfb\x81\x30\xff",
            "encoding",
            "The file is not text in UTF-8 or GBK. Save it as CSV (UTF-8) and upload it again.",
        ),
    ],
    ids=["empty", "blank", "header-only", "png", "xls", "docx-like-zip", "broken-zip", "not-text"],
)
def test_bad_files_have_a_clear_message(data: bytes, code: str, message: str) -> None:
    error = _error(data)
    assert (error.code, error.message) == (code, message)


def test_no_recognisable_columns_csv_and_xlsx_in_both_languages() -> None:
    data = xlsx([["序号", "公司", "城市"], [1, "某公司", "上海"]])
    error = _error(data, "zh-hans")
    assert error.code == "no_columns"
    assert error.message.startswith("这个文件没有可识别的列")
    english = _error(b"a,b,c\n1,2,3\n")
    assert english.code == "no_columns"
    assert english.message.startswith("No column of this file is recognisable")


def test_empty_workbook_has_no_rows() -> None:
    error = _error(xlsx([]))
    assert (error.code, error.message) == ("empty", "The file has no rows: not even a header row.")


def test_bounds_of_size_rows_columns_and_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_files, "MAX_FILE_SIZE", 100)
    error = _error(b"Name\n" + b"x\n" * 60)
    assert (error.code, error.message) == (
        "too_large",
        "The file is larger than 0 MB. Split it and upload the parts.",
    )
    monkeypatch.setattr(member_files, "MAX_FILE_SIZE", 20 * 1024 * 1024)
    monkeypatch.setattr(member_files, "MAX_ROWS", 3)
    error = _error(b"Name\na\nb\nc\nd\n")
    assert (error.code, error.message) == (
        "too_many_rows",
        "The file has more than 3 rows. Split it and upload the parts.",
    )
    assert preview(b"Name\na\nb\nc\n").total_rows == 3
    monkeypatch.setattr(member_files, "MAX_COLUMNS", 2)
    monkeypatch.setattr(member_files, "MAX_CELL_LENGTH", 5)
    result = preview(b"Name,Phone,Email\nabcdefghij,1,x@example.com\n")
    assert result.headers == ["Name", "Phone"]
    assert result.rows == [["abcdef", "1"]]  # one character over: still detectably too long


def test_bytes_that_are_not_text_mark_their_row_as_garbled() -> None:
    body = "姓名,手机\n" + "王伟,13800000000\n" * 5000
    data = body.encode() + b"\xe7\x8e,1\n" + "李娜,2\n".encode()  # after the sniffed part
    reader = open_reader(io.BytesIO(data))
    assert reader.encoding == "utf-8"
    rows = list(reader.rows())
    assert rows[-2:] == [(5002, ["\ufffd", "1"]), (5003, ["李娜", "2"])]
    assert [line for line, cells in rows if is_garbled(cells)] == [5002]


def test_the_file_stays_open_for_the_caller() -> None:
    file = io.BytesIO(ROWS.encode())
    preview_result = read_preview(file)
    assert preview_result.total_rows == 2
    assert not file.closed
    assert file.tell() == 0
    assert file.read(6) == "姓名".encode()
