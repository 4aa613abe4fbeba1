import pytest

from citysafe.core.privacy import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize("_case, raw, masked", [
    ("mobile", "13812345678", "138****5678"),
    ("landline with area code", "02361234567", "023****4567"),
    ("too short", "12345", "*****"),
    ("empty", "", ""),
])
def test_mask_phone(_case, raw, masked):
    assert mask_phone(raw) == masked


def test_mask_id_number_keeps_region_and_check_digits():
    assert mask_id_number("50010319900101123X") == "500103********123X"
    assert mask_id_number("123") == "***"


def test_mask_name_keeps_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("") == ""
