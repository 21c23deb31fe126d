"""Atomic writes leave nothing half-written, keep the umask's modes; names from input stay confined."""

from __future__ import annotations

import json
import os
import stat

import matplotlib.pyplot as plt
import pytest

from embedlab.errors import InputError
from embedlab.io import atomic_write, read_json, safe_name, save_figure, within, write_json


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "out.json"
    write_json(path, {"a": 1})
    with pytest.raises(RuntimeError), atomic_write(path) as fh:
        fh.write('{"half": ')
        raise RuntimeError("interrupted")
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_save_figure_writes_png(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "figs" / "line.png")
    plt.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["line.png"]


@pytest.fixture
def umask():
    """Set the process umask for one test, and restore it."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_get_the_modes_the_umask_allows(tmp_path, umask, mask, mode):
    umask(mask)
    write_json(tmp_path / "a.json", {})
    with atomic_write(tmp_path / "b.txt") as fh:
        fh.write("b")
    fig, ax = plt.subplots()
    save_figure(fig, tmp_path / "c.png")
    plt.close(fig)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"a.json": mode, "b.txt": mode, "c.png": mode}


def test_the_file_and_its_folder_are_flushed_before_and_after_the_rename(tmp_path, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def fsync(fd):
        flushed.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_json(tmp_path / "a.json", {"a": 1})
    assert flushed == ["file", "folder"]


@pytest.mark.parametrize("name", ["triplet-digits", "run_1.5", "Ünïcode", "a+b=c@d,e", "7"])
def test_safe_names_pass_unchanged(name):
    assert safe_name(name, "name") == name


def test_within_resolves_parents_and_links(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "out").symlink_to(tmp_path)
    assert within(tmp_path / "run", "figures/a.png")
    assert not within(tmp_path / "run", "../a.png")
    assert not within(tmp_path / "run", "/etc/hostname")
    assert not within(tmp_path / "run", "out/secret")


def test_read_json_names_the_file(tmp_path):
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="bad.json"):
        read_json(tmp_path / "bad.json")
