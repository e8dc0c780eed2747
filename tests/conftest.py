"""Shared fixtures: where the real open data lives, and the demo city."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (or $QUARTIER_SHARED_DATA)."""
    override = os.environ.get("QUARTIER_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real open data. Missing data fails in CI and skips elsewhere."""
    path = shared_data_dir()
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared data is missing at {path}; CI must have it beside the clone")
        pytest.skip(f"shared data not found at {path} (set QUARTIER_SHARED_DATA)")
    return path
