"""The refine report for people: a short Markdown page from ``refine_report.json``.

Why its own module: the report's numbers are computed once (:mod:`simulacra.refine.report`);
this only words them, saying plainly which measures were not taken and how to take them.
"""

from __future__ import annotations

from typing import Any


def _value(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _labels(labels: dict[str, Any] | None) -> list[str]:
    if labels is None:
        return ["Not measured: no instance masks (refine a dataset folder, or pass `--masks`)."]
    rows = []
    for region, title in (("inside", "inside masks"), ("boundary", "band around outlines")):
        worst = labels["worst"][region]
        low = "-" if worst is None else f"`{worst['file']}` ({worst['value']:.3f})"
        rows.append(f"| {title} | {_value(labels['mean'][region])} | {low} |")
    return [
        f"{labels['measure'][0].upper()}{labels['measure'][1:]}. Masks: `{labels['masks']}`.",
        "",
        "| region | mean edge F1 | worst image |",
        "|---|---|---|",
        *rows,
    ]


def _realism(realism: dict[str, Any] | None) -> list[str]:
    if realism is None:
        return ["Not measured: pass `--real` with a folder of real photos."]
    return [
        f"Held-out accuracy of a classifier telling images from {realism['real_measured']} real images "
        f"in `{realism['real']}` ({realism['renders_measured']} renders sampled, seed {realism['seed']}); "
        "0.5 means indistinguishable, lower is better.",
        "",
        "| images | realism accuracy |",
        "|---|---|",
        f"| raw renders | {realism['raw']:.3f} |",
        f"| refined | {realism['refined']:.3f} |",
    ]


def _memorization(memo: dict[str, Any] | None) -> list[str]:
    if memo is None:
        return ["Not measured: pass `--index` with a reference index (`simulacra index build`)."]
    lines = [
        f"Audited against the reference index `{memo['index']}`: {memo['rejected']} of "
        f"{memo['audited']} refined images rejected."
    ]
    if memo["rejects"]:
        lines += ["", "| file | reference | signal | score |", "|---|---|---|---|"]
        lines += [
            f"| `{r['file']}` | `{r['reference']}` | {r['signal']} | {r['score']} |" for r in memo["rejects"]
        ]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """``REFINE_REPORT.md``: model, counts, then one section per measure."""
    model = report["model"]
    name = f"`{model['path']}`" + (f" (id `{model['id']}`)" if model["id"] else "")
    epsilon = "none" if model["dp_epsilon"] is None else f"epsilon {model['dp_epsilon']}"
    return "\n".join(
        [
            "# Refine report",
            "",
            f"- Model: {name}, weights sha256 `{model['weights_sha256']}`, "
            f"{model['training_steps']} training steps, differential privacy: {epsilon}",
            f"- Renders: `{report['renders']}`; {report['images_refined']} images refined into this "
            "folder (PNG, same names)",
            "",
            "## Label preservation",
            "",
            *_labels(report["labels"]),
            "",
            "## Realism",
            "",
            *_realism(report["realism"]),
            "",
            "## Memorization",
            "",
            *_memorization(report["memorization"]),
            "",
        ]
    )
