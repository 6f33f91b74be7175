import pytest

from common.normalize import clean_currency, text


def test_text_makes_full_width_half_width_and_collapses_space():
    assert text("  王\u3000芳  １２３ ") == "王 芳 123"
    assert text(None) == ""


@pytest.mark.parametrize("raw", ["cny", " CNY ", "ｃｎｙ", "RMB", "rmb"])
def test_currency_is_upper_cased(raw):
    assert clean_currency(raw) == "CNY"


@pytest.mark.parametrize("raw", ["", None, "RMB1", "CN", "C1Y", "人民币"])
def test_currency_not_of_three_letters_is_refused(raw):
    with pytest.raises(ValueError, match="^币种须为三位字母代码，例如 CNY、USD 或 EUR。$"):
        clean_currency(raw)
