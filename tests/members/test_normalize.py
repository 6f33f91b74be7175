import datetime

import pytest

from members import normalize


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014"])
def test_resident_id_with_right_check_digit_is_valid(value):
    assert normalize.resident_id_valid(value) is True


def test_resident_id_with_wrong_check_digit_is_refused():
    with pytest.raises(ValueError, match="校验码不符"):
        normalize.clean_id_number("resident_id", "110105194912310021")


def test_full_width_id_number_and_lower_x_are_normalised():
    assert normalize.clean_id_number("resident_id", "１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_passport_number_shape_is_checked():
    assert normalize.clean_id_number("passport", " e1234567 ") == "E1234567"
    with pytest.raises(ValueError):
        normalize.clean_id_number("passport", "E1")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("0085291234567", "+85291234567"),
        ("", ""),
    ],
)
def test_mobile_is_normalised_with_plus_86_default(raw, clean):
    assert normalize.clean_mobile(raw) == clean


def test_short_mobile_is_refused():
    with pytest.raises(ValueError, match="11 位大陆手机号码"):
        normalize.clean_mobile("1380013")


@pytest.mark.parametrize(
    "raw", ["2024-03-01", "2024/3/1", "2024.3.1", "2024年3月1日", "20240301", "２０２４年３月１日"]
)
def test_common_chinese_date_formats(raw):
    assert normalize.clean_date(raw) == datetime.date(2024, 3, 1)


def test_month_alone_is_its_first_day():
    assert normalize.clean_date("2024年3月") == datetime.date(2024, 3, 1)


@pytest.mark.parametrize("raw", ["2024-02-30", "next tuesday", "3/1/2024"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(ValueError):
        normalize.clean_date(raw)


def test_masking_keeps_only_the_ends():
    assert normalize.mask_id_number("11010519491231002X") == "110***********002X"
    assert normalize.mask_mobile("+8613800138000") == "+86138****8000"


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert normalize.neutralise_cell(cell) == "'" + cell


def test_plain_cells_are_left_alone():
    assert normalize.neutralise_cell("张伟") == "张伟"
    assert normalize.neutralise_cell(5) == 5
