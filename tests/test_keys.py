"""Keys stay strings, whatever the input (property tests)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartier.errors import DistrictKeyError
from quartier.io.keys import normalize_keys


@given(st.lists(st.integers(0, 99_999_999), min_size=1, max_size=50))
def test_numbers_that_lost_zeros_are_repaired_by_key_width(numbers):
    padded = [f"{n:08d}" for n in numbers]
    as_int = normalize_keys(pd.Series(numbers), key_width=8)
    as_float = normalize_keys(pd.Series([float(n) for n in numbers]), key_width=8)
    as_text = normalize_keys(pd.Series([str(n) for n in numbers]), key_width=8)
    assert as_int.tolist() == as_float.tolist() == as_text.tolist() == padded


@given(st.lists(st.text(alphabet="0123456789", min_size=1, max_size=10), min_size=1))
def test_text_keys_are_never_changed_without_key_width(keys):
    assert normalize_keys(pd.Series(keys)).tolist() == keys


def test_empty_keys_name_their_rows():
    with pytest.raises(DistrictKeyError, match=r"1 empty key.*column 'id'.*row\(s\) '2'"):
        normalize_keys(pd.Series(["01", None, "03"]), column="id")
