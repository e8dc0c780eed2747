"""Safe writing: whole files or none, whole runs or none, one writer at a time."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys

import pytest

from quartier.errors import OutputError, QuartierError
from quartier.output.files import (
    RUN_MARKER,
    run_lock,
    staged_folder,
    write_atomic,
    write_text_atomic,
)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "zusammenfassung.csv"
    target.write_text("alt;1\n")

    def half_then_disk_full(tmp):
        tmp.write_text("neu;")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="No space left.*unchanged"):
        write_atomic(target, half_then_disk_full)
    assert target.read_text() == "alt;1\n"
    assert _leftovers(tmp_path) == []


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("do not touch")
    link = tmp_path / "out.csv"
    link.symlink_to(precious)
    write_text_atomic(link, "a;b\n")
    assert not link.is_symlink()
    assert link.read_text() == "a;b\n"
    assert precious.read_text() == "do not touch"


def test_files_are_readable_by_everyone(tmp_path):
    old = os.umask(0o077)
    try:
        p = write_text_atomic(tmp_path / "a.csv", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_folder_is_a_clear_error(tmp_path):  # pragma: no cover - CI runs as root
    tmp_path.chmod(0o555)
    with pytest.raises(OutputError, match="read-only"):
        write_text_atomic(tmp_path / "a.csv", "x")


def test_read_only_folder_message(tmp_path, monkeypatch):
    # root writes anywhere: pretend the folder is read-only as it is for a planner's account
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="read-only. Choose a folder"):
        write_text_atomic(tmp_path / "a.csv", "x")


def test_a_file_where_a_folder_should_be(tmp_path):
    (tmp_path / "out").write_text("I am a file")
    with pytest.raises(OutputError, match="is a file"):
        write_text_atomic(tmp_path / "out" / "a.csv", "x")
    with pytest.raises(OutputError, match="is a file"):
        with staged_folder(tmp_path / "out"):
            pass
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_text_atomic(tmp_path / "dir.csv", "x")
    assert issubclass(OutputError, QuartierError)


def test_a_failed_run_leaves_the_previous_outputs_complete(tmp_path):
    out = tmp_path / "lauf"
    with staged_folder(out) as stage:
        (stage / "a.csv").write_text("1")
        (stage / "b.gpkg").write_text("2")
    with pytest.raises(RuntimeError):
        with staged_folder(out) as stage:
            (stage / "a.csv").write_text("neu")
            raise RuntimeError("the third service failed")
    assert (out / "a.csv").read_text() == "1"
    assert (out / "b.gpkg").read_text() == "2"
    assert _leftovers(tmp_path) == []  # no staging folders left
    # a second successful run replaces the whole set: nothing old survives
    with staged_folder(out) as stage:
        (stage / "c.csv").write_text("3")
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "c.csv"]
    assert _leftovers(tmp_path) == []
    assert json.loads((out / RUN_MARKER).read_text())["written"]


def test_a_folder_with_other_files_is_refused(tmp_path):
    out = tmp_path / "meine_dateien"
    out.mkdir()
    (out / "bericht.docx").write_text("mine")
    with pytest.raises(OutputError, match="did not write"):
        with staged_folder(out):
            pass
    assert (out / "bericht.docx").read_text() == "mine"
    assert _leftovers(tmp_path) == []


def test_a_symlinked_output_folder_is_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    out.symlink_to(elsewhere, target_is_directory=True)
    with staged_folder(out) as stage:
        (stage / "a.csv").write_text("1")
    assert not out.is_symlink() and (out / "a.csv").exists()
    assert (elsewhere / "keep.txt").read_text() == "keep"


def test_two_runs_into_one_folder(tmp_path):
    out = tmp_path / "lauf"
    with run_lock(out) as lock:
        assert lock.exists()
        with pytest.raises(OutputError, match="another quartier run is writing"):
            with run_lock(out):
                pass
    assert not lock.exists()


def test_a_lock_left_by_a_dead_run_is_taken_over(tmp_path):
    out = tmp_path / "lauf"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    import socket

    lock = tmp_path / ".lauf.lock"
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    with run_lock(out):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()
