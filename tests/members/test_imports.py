"""The import pipeline: encodings, headers, dry run, all-or-nothing, duplicates, bad files, command."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from members.imports import MAX_IMPORT_BYTES, run_import
from members.models import Member, MemberStatus, MemberTerm, StatusChange

HEADER = "姓名,英文名,性别,出生日期,证件号码,工作单位,手机,邮箱,会员类别,会员编号,入会日期,到期日期\n"
ROWS = (
    "张伟,Zhang Wei,男,1980年1月2日,11010519491231002X,北京大学,13800138000,Zhang.Wei@Example.cn,"
    "普通会员,CS2020001,2020/1/1,2099-12-31\n"
    "李娜,Li Na,女,1985.3.4,,清华大学,１３９００１３９０００,li.na@example.cn,regular,,2021-05-01,2099年6月30日\n"
    "王芳,,女,,,复旦大学,13700137000,,Student member,,,2020-01-31\n"
)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def importing(content, commit=False, filename="members.csv"):
    return run_import(content=content, filename=filename, commit=commit, actor=None, today=datetime.date(2026, 6, 1))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_each_encoding_is_detected_and_imported(society_a, society_b, categories, in_schema, encoding):
    with in_schema(society_a):
        report = importing(csv_bytes(HEADER + ROWS, encoding), commit=True)
        assert report.errors == []
        assert report.encoding == {"gbk": "gb18030"}.get(encoding, encoding)
        assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
        zhang = Member.objects.get(email="zhang.wei@example.cn")
        assert (zhang.name_zh, zhang.gender, zhang.birth_date, zhang.id_type, zhang.mobile, zhang.number) == (
            "张伟",
            "M",
            datetime.date(1980, 1, 2),
            "resident_id",
            "+8613800138000",
            "CS2020001",
        )
        li = Member.objects.get(email="li.na@example.cn")
        assert (li.mobile, li.term_end, li.status, li.category.code) == (
            "+8613900139000",
            datetime.date(2099, 6, 30),
            "active",
            "regular",
        )
        wang = Member.objects.get(name_zh="王芳")
        assert (wang.category.code, wang.status) == ("student", MemberStatus.LAPSED)
        assert list(StatusChange.objects.filter(member=wang).values_list("from_status", "to_status", "reason")) == [
            ("", "lapsed", "从 members.csv 导入")
        ]
        assert MemberTerm.objects.get(member=zhang).starts_on == datetime.date(2020, 1, 1)
    with in_schema(society_b):
        assert Member.objects.count() == 0


def test_dry_run_writes_nothing_and_importing_twice_changes_nothing(society_a, categories, in_schema):
    with in_schema(society_a):
        content = csv_bytes(HEADER + ROWS, "gb18030")
        preview = importing(content)
        assert preview.counts["created"] == 3 and not preview.committed
        assert Member.objects.count() == 0
        importing(content, commit=True)
        again = importing(content, commit=True)
        assert again.counts == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
        assert Member.objects.count() == 3
        assert StatusChange.objects.count() == 3


def test_existing_members_are_matched_by_email_id_or_phone_and_updated(society_a, categories, in_schema):
    with in_schema(society_a):
        importing(csv_bytes(HEADER + ROWS), commit=True)
        changed = (
            "姓名,手机,电子邮箱,工作单位,会员类别\n"
            "张伟,,ZHANG.WEI@example.cn ,北京大学化学学院,普通会员\n"
            "王芳,137 0013 7000,,复旦大学,学生会员\n"
        )
        report = importing(csv_bytes(changed), commit=True)
        assert report.counts == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 0}
        assert [r["changes"] for r in report.rows] == [["工作单位"], []]
        assert Member.objects.get(email="zhang.wei@example.cn").work_unit == "北京大学化学学院"
        assert Member.objects.count() == 3


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_written(society_a, categories, in_schema):
    bad = (
        "姓名,出生日期,证件号码,邮箱,会员类别,备注\n"
        "张伟,1980-02-30,110105194912310021,a@example.cn,普通会员,x\n"
        '=HYPERLINK("http://x"),,,b@example.cn,普通会员,\n'
        "李娜,,,a@example.cn,钻石会员,\n"
    )
    with in_schema(society_a):
        report = importing(csv_bytes(bad), commit=True)
        assert report.errors == [
            {"row": 1, "column": "备注", "message": "无法识别的列“备注”，请改为可识别的列名或删除该列。"},
        ]
        report = importing(csv_bytes(bad.replace(",备注", "").replace(",x\n", "\n").replace(",\n", "\n")), commit=True)
        assert report.errors == [
            {"row": 2, "column": "出生日期", "message": "“1980-02-30”不是存在的日期。"},
            {"row": 2, "column": "证件号码", "message": "这不是有效的 18 位居民身份证号码（校验码不符或位数不对）。"},
            {"row": 3, "column": "姓名", "message": "不接受公式，请在单元格中直接填写数值。"},
            {"row": 4, "column": "会员类别", "message": "无法识别的会员类别“钻石会员”。"},
            {"row": 4, "column": "电子邮箱", "message": "电子邮箱与第 2 行相同。"},
        ]
        assert report.counts["rejected"] == 3 and not report.committed
        assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空。"),
        (b"\n\n", "文件为空。"),
        ("姓名,邮箱,会员类别\n".encode(), "文件只有表头，没有数据行。"),
        (
            b"\xff\xfe\x00\x00garbage\xff",
            "文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本，请另存为 CSV（UTF-8）或 XLSX。",
        ),
    ],
)
def test_unreadable_files_get_one_clear_error(society_a, categories, in_schema, content, message):
    with in_schema(society_a):
        report = importing(content, commit=True)
        assert report.errors == [{"row": 0, "column": "", "message": message}]


def test_a_50_mb_file_is_refused_without_reading_it(society_a, categories, in_schema):
    content = (HEADER + ROWS * 1).encode() + b"x" * (50 * 1024 * 1024)
    assert len(content) > MAX_IMPORT_BYTES
    with in_schema(society_a):
        report = importing(content, commit=True)
        assert report.errors == [
            {"row": 0, "column": "", "message": "文件大小为 50 MB，上限为 40 MB，请拆分成较小的文件。"}
        ]
        assert Member.objects.count() == 0


def test_missing_required_columns(society_a, categories, in_schema):
    with in_schema(society_a):
        report = importing(csv_bytes("英文名,工作单位\nZhang,北大\n"))
        assert [e["message"] for e in report.errors] == [
            "文件缺少“姓名”列。",
            "文件缺少“会员类别”列。",
            "文件需要有电子邮箱、证件号码或手机列，用于匹配会员。",
        ]


def test_xlsx_with_date_cells_and_formulas(society_a, categories, in_schema):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "E-mail", "Category", "Expiry", "Mobile"])
    sheet.append(["赵敏", "zhao@example.cn", "regular", datetime.datetime(2099, 1, 31), 13600136000])
    sheet.append(["钱多", "qian@example.cn", "regular", "=TODAY()", None])
    buffer = io.BytesIO()
    book.save(buffer)
    with in_schema(society_a):
        report = importing(buffer.getvalue(), filename="m.xlsx", commit=True)
        assert report.errors == [{"row": 3, "column": "到期日期", "message": "不接受公式，请在单元格中直接填写数值。"}]
        fixed = importing(buffer.getvalue().replace(b"", b""), filename="m.xlsx")
        assert fixed.encoding == "xlsx"


def test_command_dry_run_then_commit(society_a, society_b, categories, in_schema, tmp_path, capsys):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes(HEADER + ROWS, "gb18030"))
    call_command("import_members", "--society", "alpha", str(path))
    result = json.loads(capsys.readouterr().out)
    assert result["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert (result["committed"], result["acceptable"], result["errors"]) == (False, True, [])
    with in_schema(society_a):
        assert Member.objects.count() == 0
    call_command("import_members", "--society", "alpha", str(path), "--commit")
    assert json.loads(capsys.readouterr().out)["committed"] is True
    with in_schema(society_a):
        assert Member.objects.count() == 3
    with in_schema(society_b):
        assert Member.objects.count() == 0


def test_command_exits_1_on_a_bad_file(society_a, categories, tmp_path, capsys, in_schema):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("姓名,邮箱,会员类别\n张伟,not-an-email,普通会员\n"))
    with pytest.raises(SystemExit) as exited:
        call_command("import_members", "--society", "alpha", str(path), "--commit")
    assert exited.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["errors"] == [{"row": 2, "column": "电子邮箱", "message": "请输入有效的电子邮箱。"}]
    assert result["counts"]["rejected"] == 1
    with in_schema(society_a):
        assert Member.objects.count() == 0
