"""Bad input: one clear line naming the field or file, exit code 2, no partial output."""

from __future__ import annotations

import json

import pytest

from simulacra.cli import run
from tests.conftest import only_error_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nobjects: [1, 2\n", "malformed YAML"),
        ("name: x\nobjectz: {}\n", "objectz: unknown field"),
        ("name: x\nlights:\n  count_range: [1, 2, 3]\n", "lights.count_range"),
    ],
)
def test_bad_spec(tmp_path, capsys, text, expected):
    """Malformed YAML, an unknown field, a wrong value: exit 2, one line, no output folder."""
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert run(["generate", str(spec), "-n", "1", "-o", str(out)]) == 2
    line = only_error_line(capsys)
    assert expected in line and str(spec) in line
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


def test_missing_asset_file(tmp_path, capsys, small_spec_file):
    """A manifest whose mesh file is gone: the file is named, exit 2, nothing written."""
    from simulacra.assets_manifest import build_library

    manifest = build_library(tmp_path / "assets")
    victim = manifest.file_of(manifest.of_kind("mesh")[0])
    victim.unlink()
    out = tmp_path / "out"
    status = run(
        ["generate", str(small_spec_file), "-n", "1", "-o", str(out), "--manifest", str(tmp_path / "assets")]
    )
    assert status == 2
    line = only_error_line(capsys)
    assert victim.name in line and "missing" in line
    assert not out.exists()


def test_unknown_license_in_manifest(tmp_path, capsys, small_spec_file):
    """An asset with a license outside the known list is refused by name."""
    from simulacra.assets_manifest import build_library

    build_library(tmp_path / "assets")
    path = tmp_path / "assets" / "manifest.json"
    data = json.loads(path.read_text())
    data["assets"][0]["license"] = "Proprietary-Maybe"
    path.write_text(json.dumps(data))
    status = run(
        ["generate", str(small_spec_file), "-n", "1", "-o", str(tmp_path / "out"), "--manifest", str(path)]
    )
    assert status == 2
    assert "unknown license 'Proprietary-Maybe'" in only_error_line(capsys)


def test_existing_output_is_not_touched(tmp_path, capsys, small_spec_file):
    """A non-empty output folder is refused and its files are kept."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    assert run(["generate", str(small_spec_file), "-n", "1", "-o", str(out)]) == 2
    assert "already exists and is not empty" in only_error_line(capsys)
    assert (out / "precious.txt").read_text() == "keep me"


def test_unknown_device_is_a_usage_error(tmp_path, capsys, small_spec_file):
    """--device must be one of cpu, cuda, optix, auto."""
    assert run(["generate", str(small_spec_file), "-o", str(tmp_path / "o"), "--device", "tpu"]) == 2
    assert "tpu" in capsys.readouterr().err


def test_missing_index(tmp_path, capsys, small_spec_file):
    """A reference index folder that does not exist is named."""
    out = tmp_path / "out"
    args = ["generate", str(small_spec_file), "-n", "1", "-o", str(out), "--index", str(tmp_path / "nope")]
    status = run(args)
    assert status == 2
    assert "nope" in only_error_line(capsys)
    assert not out.exists()


def test_missing_gpu_refused_before_rendering(tmp_path, capsys, small_spec_file):
    """--device cuda without a CUDA GPU: one line naming the device and the fallback, nothing written."""
    out = tmp_path / "out"
    assert run(["generate", str(small_spec_file), "-n", "1", "-o", str(out), "--device", "cuda"]) == 2
    assert "--device cuda: Cycles found no CUDA GPU" in only_error_line(capsys)
    assert not out.exists()
