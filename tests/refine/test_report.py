"""``refine apply`` writes its report: weights hash, label preservation, realism, memorization."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import pytest
from skimage import data

from simulacra.audit import ReferenceIndex
from simulacra.cli import run
from tests.refine.conftest import shapes_image, texture_image, write


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """One tiny trained refiner shared by this module's tests (training is the slow part)."""
    from simulacra.refine import TrainSettings, train

    root = tmp_path_factory.mktemp("model")
    synthetic = write(root / "synthetic", [shapes_image(i)[0] for i in range(4)])
    real = write(root / "real", [texture_image(i) for i in range(4)])
    settings = TrainSettings(steps=2, size=32, batch=4, channels=8, blocks=2, history=8)
    train(synthetic, real, root / "m", settings, device="cpu")
    return root / "m"


def _dataset(root: Path, count: int = 5) -> Path:
    """A dataset-shaped folder: images/, masks/ (instance and class), annotations/."""
    pairs = [shapes_image(i) for i in range(count)]
    write(root / "images", [image for image, _ in pairs])
    (root / "masks").mkdir()
    (root / "annotations").mkdir()
    (root / "annotations/coco.json").write_text("{}")
    for i, (_, instances) in enumerate(pairs):
        cv2.imwrite(str(root / f"masks/{i:03d}_instance.png"), instances)
        cv2.imwrite(str(root / f"masks/{i:03d}_class.png"), (instances > 0).astype("uint8"))
    return root


def _report(out: Path) -> dict:
    return json.loads((out / "refine_report.json").read_text())


def test_dataset_folder_report_has_every_measure(tmp_path, model, capsys):
    """A dataset folder: only images/ refined; labels from its masks, realism and audit on request."""
    dataset = _dataset(tmp_path / "ds")
    real = write(tmp_path / "photos", [texture_image(20 + i) for i in range(4)])
    index = ReferenceIndex.build(write(tmp_path / "refs", [data.coffee()]))
    index.save(tmp_path / "idx")
    args = ["refine", "apply", str(model), str(dataset), "-o", str(tmp_path / "out"), "--device", "cpu"]
    assert run([*args, "--real", str(real), "--index", str(tmp_path / "idx")]) == 0
    assert "refined 5 images" in capsys.readouterr().err
    names = [f"{i:03d}.png" for i in range(5)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [*names, "REFINE_REPORT.md", "refine_report.json"]
    )
    report = _report(tmp_path / "out")
    weights = hashlib.sha256((model / "refiner.pt").read_bytes()).hexdigest()
    assert report["model"]["weights_sha256"] == weights and report["images_refined"] == 5
    labels = report["labels"]
    assert [row["file"] for row in labels["per_image"]] == names
    inside = [row["inside"] for row in labels["per_image"]]
    assert labels["worst"]["inside"]["value"] == min(inside) and 0 < min(inside) <= 1
    assert labels["mean"]["inside"] == pytest.approx(sum(inside) / 5, abs=1e-3)
    realism = report["realism"]
    assert realism["renders_measured"] == 5 and realism["real_measured"] == 4
    assert 0 <= realism["raw"] <= 1 and 0 <= realism["refined"] <= 1
    assert report["memorization"] == {
        "index": str(tmp_path / "idx"),
        "audited": 5,
        "rejected": 0,
        "rejects": [],
    }
    markdown = (tmp_path / "out/REFINE_REPORT.md").read_text()
    assert (
        weights in markdown
        and "| inside masks |" in markdown
        and "0 of 5 refined images rejected" in markdown
    )


def test_copy_of_a_reference_is_reported_and_exits_1(tmp_path, model, capsys):
    """A render that is a copy of a reference stays one after refinement: named in the report, exit 1."""
    index = ReferenceIndex.build(write(tmp_path / "refs", [data.coffee(), data.chelsea()]))
    index.save(tmp_path / "idx")
    renders = write(tmp_path / "renders", [shapes_image(0, 128)[0], data.coffee()])
    out = tmp_path / "out"
    assert (
        run(["refine", "apply", str(model), str(renders), "-o", str(out), "--index", str(tmp_path / "idx")])
        == 1
    )
    assert "1 of 2 refined images rejected" in capsys.readouterr().err
    memo = _report(out)["memorization"]
    assert memo["rejected"] == 1 and memo["rejects"][0]["file"] == "001.png"
    assert memo["rejects"][0]["reference"] == index.references[0].id
    assert _report(out)["labels"] is None and _report(out)["realism"] is None
    assert "Not measured: no instance masks" in (out / "REFINE_REPORT.md").read_text()


def test_masks_option_measures_a_plain_folder(tmp_path, model):
    """--masks gives a plain folder of renders its label-preservation measure."""
    dataset = _dataset(tmp_path / "ds", count=2)
    out = tmp_path / "out"
    images, masks = dataset / "images", dataset / "masks"
    (tmp_path / "renders").mkdir()
    for path in images.iterdir():
        (tmp_path / "renders" / path.name).write_bytes(path.read_bytes())
    assert (
        run(["refine", "apply", str(model), str(tmp_path / "renders"), "-o", str(out), "--masks", str(masks)])
        == 0
    )
    assert [row["file"] for row in _report(out)["labels"]["per_image"]] == ["000.png", "001.png"]


def test_bad_measure_inputs_one_line_exit_2_nothing_written(tmp_path, model, capsys):
    """A missing mask, too few real images, a bad index, or a corrupt mask: exit 2 and no output."""
    dataset = _dataset(tmp_path / "ds")
    out = tmp_path / "out"
    base = ["refine", "apply", str(model), str(dataset), "-o", str(out)]
    (dataset / "masks/002_instance.png").rename(tmp_path / "kept.png")
    cases = [
        ([], "002_instance.png: instance mask of 002.png is missing"),
        (["--masks", str(tmp_path / "nowhere")], "--masks"),
    ]
    for extra, message in cases:
        assert run([*base, *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and not out.exists()
    (tmp_path / "kept.png").rename(dataset / "masks/002_instance.png")
    few = write(tmp_path / "few", [texture_image(0)])
    for extra, message in [
        (["--real", str(few)], "at least 4 images on each side"),
        (["--index", str(tmp_path / "few")], "few"),
    ]:
        assert run([*base, *extra]) == 2
        assert message in capsys.readouterr().err and not out.exists()
    cv2.imwrite(str(dataset / "masks/003_instance.png"), shapes_image(3, 20)[1])  # wrong size, found late
    assert run(base) == 2
    assert "003_instance.png: mask is 20x20, its render 40x40" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "few"]
