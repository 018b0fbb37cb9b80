"""Atomic file replacement: the old file survives a failed write, and no temporary is left."""

from __future__ import annotations

import stat

import pytest

from assets.common.atomic_files import write_atomic, write_bytes_atomic, write_text_atomic


def test_text_and_bytes_replace_the_target_and_create_its_folder(tmp_path):
    target = tmp_path / "new" / "folder" / "page.html"
    assert write_text_atomic(target, "caf\u00e9\nline\r\n") == target
    assert target.read_bytes() == "caf\u00e9\nline\r\n".encode()  # no newline translation
    write_bytes_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "package.json"
    target.write_text("old")

    def half_then_fail(temporary):
        temporary.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["package.json"]


def test_mode_is_set_when_asked_and_owner_only_otherwise(tmp_path):
    public = write_text_atomic(tmp_path / "report.html", "x", mode=0o644)
    private = write_text_atomic(tmp_path / "package.json", "x")
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_the_writer_receives_a_hidden_temporary_beside_the_target(tmp_path):
    seen = []
    write_atomic(tmp_path / "2024-01-02.csv", lambda temporary: seen.append(temporary)
                 or temporary.write_text("a,b\n"))
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".2024-01-02.csv.")
    assert not seen[0].exists() and (tmp_path / "2024-01-02.csv").read_text() == "a,b\n"
