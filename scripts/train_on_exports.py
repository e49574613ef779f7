"""Train on the exports in a user's own environment: Ultralytics YOLO-seg and torchvision Mask R-CNN.

Not part of CI (it downloads torch, torchvision and Ultralytics, gigabytes). It shows two
things a new user meets: (1) ``pip install <this repo>`` into an environment that already
has its own torch, torchvision, numpy and pillow keeps them; (2) the exports train as-is,
offline, with no glue: YOLO-seg one epoch from scratch on ``--format yolo-seg``, Mask R-CNN
a few iterations on ``--format coco`` through torchvision's v2 wrapper.

Usage: python3.11 scripts/train_on_exports.py [--env .venv-train] [--images 16]
       [--torch-index URL]   (e.g. https://download.pytorch.org/whl/cpu for a CPU build)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEPT = ("torch", "torchvision", "numpy", "pillow")
SPEC = """\
name: train
resolution: [96, 96]
samples: 8
objects:
  count_range: [3, 5]
  scale_range: [1.4, 1.8]
camera:
  distance_range: [0.9, 1.1]
posters:
  probability: 0.0
"""

VERSIONS = f"import importlib.metadata as m, json; print(json.dumps({{n: m.version(n) for n in {KEPT!r}}}))"

TRAIN = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    work = Path(sys.argv[1])

    from ultralytics import YOLO

    model = YOLO("yolov8n-seg.yaml")  # built from its config: no weights downloaded
    model.train(data=str(work / "yolo-seg/data.yaml"), epochs=1, imgsz=96, batch=4, device="cpu",
                workers=0, plots=False, amp=False, pretrained=False, project=str(work / "runs"), name="seg",
                verbose=False)
    print("YOLO-seg val metrics:", {k: round(float(v), 4) for k, v in model.metrics.results_dict.items()})

    import torch
    from torchvision.datasets import CocoDetection, wrap_dataset_for_transforms_v2
    from torchvision.models.detection import maskrcnn_resnet50_fpn
    from torchvision.transforms import v2

    coco = work / "coco"
    train = CocoDetection(str(coco / "images/train"), str(coco / "annotations/instances_train.json"),
                          transforms=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]))
    classes = max(c["id"] for c in train.coco.dataset["categories"]) + 1
    train = wrap_dataset_for_transforms_v2(train, target_keys=("boxes", "labels", "masks"))
    model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=classes,
                                  min_size=96, max_size=96)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    model.train()
    loader = torch.utils.data.DataLoader(train, batch_size=2, shuffle=True,
                                         collate_fn=lambda batch: tuple(zip(*batch)))
    for step, (images, targets) in zip(range(6), loader):
        losses = model(list(images), list(targets))
        loss = sum(losses.values())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        print(f"Mask R-CNN step {step}: loss {loss.item():.3f} (mask {losses['loss_mask'].item():.3f})")
    """
)


def _run(*command: str) -> str:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, check=True, text=True, stdout=subprocess.PIPE).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", type=Path, default=REPO / ".venv-train")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--torch-index", default=None)
    args = parser.parse_args()
    python, pip = str(args.env / "bin/python"), str(args.env / "bin/pip")
    if not (args.env / "bin/python").exists():
        _run(sys.executable, "-m", "venv", str(args.env))
        index = (
            ["--index-url", args.torch_index, "--extra-index-url", "https://pypi.org/simple"]
            if args.torch_index
            else []
        )
        _run(pip, "install", "--quiet", "torchvision", "ultralytics", *index)
    before = json.loads(_run(python, "-c", VERSIONS))
    _run(pip, "install", "--quiet", str(REPO))  # non-editable, as a user installs it
    after = json.loads(_run(python, "-c", VERSIONS))
    for name in KEPT:
        print(f"{name}: {before[name]} before, {after[name]} after installing simulacra")
    if before != after:
        raise SystemExit("installing simulacra changed the environment's own packages")
    simulacra = str(args.env / "bin/simulacra")
    with tempfile.TemporaryDirectory(prefix="train-on-exports-") as temp:
        work = Path(temp)
        (work / "spec.yaml").write_text(SPEC)
        _run(simulacra, "generate", str(work / "spec.yaml"), "-n", str(args.images), "-o", str(work / "ds"))
        for fmt in ("yolo-seg", "coco"):
            _run(simulacra, "export", str(work / "ds"), "--format", fmt, "-o", str(work / fmt))
        subprocess.run([python, "-c", TRAIN, str(work)], check=True)


if __name__ == "__main__":
    main()
