"""`import quartier` stays quick: heavy optional machinery loads only when it is used."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_heavy_modules():
    code = (
        "import sys, quartier; "
        "print(sorted(m for m in ('mapclassify', 'sklearn', 'numba', 'matplotlib.pyplot', "
        "'osmium') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_exist_and_are_documented():
    import quartier

    for name in quartier.__all__:
        obj = getattr(quartier, name)
        assert obj is not None, name
        if callable(obj) and not isinstance(obj, type(quartier)):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_import_loads_no_room_until_a_name_is_used():
    code = (
        "import sys, quartier; "
        "rooms = ('io', 'reporting', 'areas', 'access', 'planning', 'output', 'batch'); "
        "print(sorted(r for r in rooms if 'quartier.' + r in sys.modules)); "
        "quartier.read_table; "
        "print(sorted(r for r in rooms if 'quartier.' + r in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "['io']"]


def test_unknown_names_are_attribute_errors():
    import pytest

    import quartier

    with pytest.raises(AttributeError, match="no attribute 'not_there'"):
        quartier.not_there  # noqa: B018
    assert set(quartier.__all__) <= set(dir(quartier))
