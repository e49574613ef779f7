"""``simulacra stats``: statistics agree with the COCO file and the masks; plots and errors."""

from __future__ import annotations

import json
import shutil
from collections import Counter

from pycocotools import mask as mask_utils

from simulacra.cli import run
from simulacra.dataset.stats import dataset_statistics


def test_stats_agree_with_coco(tiny_dataset):
    """Counts, areas, visibility, pixel coverage and licenses match what coco.json states."""
    coco = json.loads((tiny_dataset / "annotations/coco.json").read_text())
    stats = dataset_statistics(tiny_dataset)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    annotations = coco["annotations"]
    assert stats.images == len(coco["images"]) == 8
    assert stats.instances == len(annotations) == sum(stats.instances_per_image)
    assert {k: v for k, v in stats.instances_per_class.items() if v} == dict(
        Counter(names[a["category_id"]] for a in annotations)
    )
    assert sorted(stats.areas) == sorted(a["area"] for a in annotations)
    assert sorted(stats.visible_fractions) == sorted(a["visible_fraction"] for a in annotations)
    total = sum(image["width"] * image["height"] for image in coco["images"])
    for cid, name in names.items():  # class masks cover exactly the annotated RLE pixels
        rle_area = sum(
            int(mask_utils.area(a["segmentation"])) for a in annotations if a["category_id"] == cid
        )
        assert abs(stats.pixel_coverage[name] - rle_area / total) < 1e-5, name
    licenses = {entry["id"]: entry["name"] for entry in coco["licenses"]}
    expected = Counter(licenses[i] for image in coco["images"] for i in image["asset_licenses"])
    assert stats.images_per_license == dict(expected)
    assert len(stats.camera_distance) == len(stats.camera_fov_deg) == 8
    assert len(stats.light_energy) == sum(stats.lights_per_image)


def test_stats_command_prints_table_and_writes_plots(tiny_dataset, tmp_path, capsys):
    """The table names the version id and counts; stats/ holds PNGs and stats.json."""
    dataset = tmp_path / "copy"
    shutil.copytree(tiny_dataset, dataset)
    assert run(["stats", str(dataset)]) == 0
    out = capsys.readouterr().out
    assert "Instances per class" in out and "ds-" in out
    written = sorted(p.name for p in (dataset / "stats").iterdir())
    assert {"instances_per_class.png", "camera.png", "lights.png", "stats.json"} <= set(written)
    summary = json.loads((dataset / "stats/stats.json").read_text())["summary"]
    assert summary["images"] == 8


def test_card_states_statistics_and_version(tiny_dataset):
    """A card given the dataset's statistics and version id shows the table and the id."""
    from simulacra.assets_manifest import admit, builtin_manifest, load_policy
    from simulacra.dataset.card import AuditSummary, CardFacts, render_card
    from simulacra.dataset.reader import read_dataset
    from simulacra.dataset.version import dataset_version

    manifest = builtin_manifest()
    contents = read_dataset(tiny_dataset)
    facts = CardFacts(
        name="tiny",
        config_hash="0" * 64,
        seed=5,
        requested=8,
        written=len(contents.graphs),
        categories=contents.instances,
        asset_ids=contents.asset_ids,
        audit=AuditSummary(),
        device="CPU",
        admission=admit(manifest, load_policy(), "research"),
        images_per_license=contents.images_per_license,
        version=dataset_version(tiny_dataset),
        statistics=dataset_statistics(tiny_dataset),
    )
    card = render_card(facts, manifest)
    assert "## Statistics" in card and "| Instances per class |" in card and "| Images | 8 |" in card
    assert f"Version id: `{dataset_version(tiny_dataset)}`" in card


def test_stats_missing_coco_is_one_line(tmp_path, capsys):
    """A folder without annotations/coco.json: the file is named, exit 2."""
    (tmp_path / "images").mkdir()
    assert run(["stats", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "annotations/coco.json" in err
