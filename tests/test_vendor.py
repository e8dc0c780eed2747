"""The browser assets embedded in offline maps: unchanged (SHA256SUMS), all listed, in the wheel."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "quartier" / "output" / "_vendor"
OWN = {"README.md", "SHA256SUMS"}  # quartier's own notes, not vendored


def _sums() -> dict[str, str]:
    sums = {}
    for line in (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def _vendored() -> list[str]:
    return sorted(p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*")
                  if p.is_file() and p.name not in OWN and "__pycache__" not in p.parts)


def test_every_vendored_file_matches_its_checksum():
    sums = _sums()
    assert sums, "SHA256SUMS is empty"
    for name, digest in sums.items():
        path = VENDOR / name
        assert path.is_file(), f"{name} is listed in SHA256SUMS but missing"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"_vendor/{name} differs from SHA256SUMS: re-run scripts/vendor_assets.sh")


def test_every_vendored_file_is_listed():
    assert _vendored() == sorted(_sums()), "update SHA256SUMS (scripts/vendor_assets.sh)"


def test_wheel_ships_the_vendored_files(tmp_path):
    wheel_builder = pytest.importorskip("hatchling.builders.wheel")
    builder = wheel_builder.WheelBuilder(str(ROOT))
    wheel = next(iter(builder.build(directory=str(tmp_path), versions=["standard"])))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for name in [*_vendored(), *OWN]:
            member = f"quartier/output/_vendor/{name}"
            assert member in names, f"{member} is not in the wheel"
            assert zf.read(member) == (VENDOR / name).read_bytes()
        assert "quartier/_demo_data/musterstadt.gpkg" in names
