"""The host's own entry-point scan finds exactly what ``importlib.metadata`` finds, and hands over to
it for layouts it does not read itself (a zip on sys.path, a folded METADATA header, a line
importlib.metadata would refuse)."""

from __future__ import annotations

import sys
import zipfile
from importlib.metadata import EntryPoint, entry_points

import pytest

from generallevel import plugins
from generallevel.plugins import ENTRY_POINT_GROUP, FoundEntryPoint, _entry_points, _scan_entry_points

from test_plugin_ecosystem import fake_dist


def _reference(group: str = ENTRY_POINT_GROUP) -> list[tuple[str, str, str, str]]:
    return [(e.name, e.value, e.dist.name, e.dist.version) for e in entry_points(group=group)]


def _fast(group: str = ENTRY_POINT_GROUP):
    found = _scan_entry_points(group)
    return None if found is None else [(e.name, e.value, e.dist_name, e.dist_version) for e in found]


def test_scan_matches_importlib_metadata_on_this_environment():
    assert _fast() == _reference()
    assert any(row[2] == "generallevel" for row in _fast())
    for group in ("console_scripts", "pytest11"):  # other groups, other distributions
        assert _fast(group) == _reference(group)


def test_scan_matches_with_fake_distributions_first_on_the_path(tmp_path, monkeypatch):
    fake_dist(tmp_path, monkeypatch, "X = 1\n")
    shadowed, _ = fake_dist(tmp_path, monkeypatch, "X = 2\n", dist="GlFake.Dotted_Name")
    # the same distribution name again, now first on the path: importlib keeps that one only
    fake_dist(tmp_path, monkeypatch, "X = 3\n", dist="glfake-dotted-name", ep="first")
    assert _fast() == _reference()
    names = [r[0] for r in _fast()]
    assert "first" in names and shadowed not in names
    plugins.reset()


def test_entry_point_values_load_as_importlib_loads_them():
    for value in ("json", "json.decoder", "json:dumps", "json.decoder : JSONDecoder.decode", "json [extra]"):
        assert FoundEntryPoint("x", value, "d", "1").load() is EntryPoint("x", value, "g").load()
    with pytest.raises(AttributeError) as ours:
        FoundEntryPoint("x", "not a value!", "d", "1").load()
    with pytest.raises(AttributeError) as theirs:
        EntryPoint("x", "not a value!", "g").load()
    assert str(ours.value) == str(theirs.value)


def _dist(root, name: str, metadata: str, eps: str) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata)
    (info / "entry_points.txt").write_text(eps)


def test_unusual_layouts_are_left_to_importlib_metadata(tmp_path, monkeypatch):
    # a folded Name header: the email parser decides
    _dist(tmp_path / "a", "glfold", "Metadata-Version: 2.1\nName: glfold\n continued\nVersion: 1.0\n",
          "[generallevel]\nfold = json\n")
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    assert _scan_entry_points(ENTRY_POINT_GROUP) is None
    assert [(e.name, e.dist_name) for e in _entry_points(ENTRY_POINT_GROUP)] == [
        (r[0], r[2]) for r in _reference()]
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path / "a")])
    # a zip on sys.path
    zpath = tmp_path / "plugins.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("glzip-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: glzip\nVersion: 1.0\n")
        z.writestr("glzip-1.0.dist-info/entry_points.txt", "[generallevel]\nzipped = json\n")
    monkeypatch.syspath_prepend(str(zpath))
    assert _scan_entry_points(ENTRY_POINT_GROUP) is None
    found = [(e.name, e.value, e.dist_name, e.dist_version) for e in _entry_points(ENTRY_POINT_GROUP)]
    assert found == _reference() and ("zipped", "json", "glzip", "1.0") in found


def test_a_line_importlib_refuses_is_left_to_it(tmp_path, monkeypatch):
    _dist(tmp_path, "glbad", "Metadata-Version: 2.1\nName: glbad\nVersion: 1.0\n",
          "# comment\n[generallevel]\nno equals sign here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _scan_entry_points(ENTRY_POINT_GROUP) is None
    with pytest.raises(Exception) as ours:
        _entry_points(ENTRY_POINT_GROUP)
    with pytest.raises(Exception) as theirs:
        entry_points(group=ENTRY_POINT_GROUP)
    assert type(ours.value) is type(theirs.value)


def test_comments_sections_and_spaces_read_as_importlib_reads_them(tmp_path, monkeypatch):
    _dist(tmp_path, "Gl_Odd.Name", "Metadata-Version: 2.1\nname:   Gl-Odd.Name  \nVersion: 2.0rc1\n\nName: body\n",
          "stray = before.any.section\n[other]\nx = y\n  [generallevel]  \n# c\n  a  =  json : dumps  \nb=json\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _fast() == _reference()
    assert ("a", "json : dumps", "Gl-Odd.Name  ", "2.0rc1") in _fast()


def test_other_distribution_finders(monkeypatch):
    """A finder that may find distributions elsewhere hands over to importlib.metadata; the
    importlib_metadata backport's path finder (imported by dask) searches the same path."""

    class Elsewhere:
        @staticmethod
        def find_spec(*args, **kwargs):
            return None

        @staticmethod
        def find_distributions(*args, **kwargs):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Elsewhere()])
    assert _scan_entry_points(ENTRY_POINT_GROUP) is None
    monkeypatch.setattr(sys, "meta_path", sys.meta_path[:-1])
    importlib_metadata = pytest.importorskip("importlib_metadata")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, importlib_metadata.MetadataPathFinder])
    assert _fast() == _reference()

