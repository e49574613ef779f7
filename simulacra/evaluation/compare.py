"""Side-by-side comparison of dataset versions: what each holds, leaks, covers and is worth.

Everything is read from the dataset folders: counts from COCO, leakage from
``audit.jsonl``, coverage and utility from the results ``simulacra eval`` saved under
``eval/``. A metric a dataset has not been evaluated for shows as ``-``, so a table of
iterations says at a glance what was measured where.
"""

from __future__ import annotations

from pathlib import Path

from simulacra.dataset.card import AuditSummary
from simulacra.dataset.jobfile import JOB_FILE
from simulacra.dataset.layout import COVERAGE_FILE, UTILITY_FILE
from simulacra.dataset.reader import read_audit_log, read_coco, read_eval_result
from simulacra.dataset.stats import dataset_statistics
from simulacra.dataset.version import dataset_version

MISSING = "-"


def comparison(datasets: list[Path]) -> list[tuple[str, list[str]]]:
    """Rows of (metric, one value per dataset), in the order the table shows them."""
    columns = [_column(root) for root in datasets]
    rows: list[tuple[str, list[str]]] = []
    for name in _ordered_keys(columns):
        rows.append((name, [column.get(name, MISSING) for column in columns]))
    return rows


def _ordered_keys(columns: list[dict[str, str]]) -> list[str]:
    keys: list[str] = []
    for column in columns:
        keys += [key for key in column if key not in keys]
    return keys


def _column(root: Path) -> dict[str, str]:
    coco = read_coco(root)
    stats = dataset_statistics(root)
    column = {
        "Version id": dataset_version(root) if (root / JOB_FILE).is_file() else f"no {JOB_FILE}",
        "Images": str(stats.images),
        "Instances": str(stats.instances),
        "Instances / image": f"{stats.instances / stats.images:.2f}" if stats.images else "0",
    }
    names = [c["name"] for c in sorted(coco["categories"], key=lambda c: c["id"])]
    column.update({f"  {name}": str(stats.instances_per_class.get(name, 0)) for name in names})
    column.update(_audit(root))
    column.update(_coverage(root))
    column.update(_utility(root))
    return column


def _audit(root: Path) -> dict[str, str]:
    """Reject and leak rates over the renders the auditor saw (``-`` where nothing was audited)."""
    summary = AuditSummary.from_log(read_audit_log(root))
    if not summary.audited:
        return {"Audit: renders audited": "0 (not audited)"}
    return {
        "Audit: renders audited": str(summary.audited),
        "Audit: rejected share": f"{summary.rejected / summary.audited:.3f}",
        "Audit: leaked (rejected yet written)": str(summary.leaked),
    }


def _coverage(root: Path) -> dict[str, str]:
    rows = {}
    for reference, result in read_eval_result(root, COVERAGE_FILE).items():
        label = "/".join(Path(reference).parts[-2:])  # "refs/images", not just "images"
        rows[f"Density vs {label} (k={result['k']})"] = f"{result['density']:.3f}"
        rows[f"Coverage vs {label} (k={result['k']})"] = f"{result['coverage']:.3f}"
        if result.get("dcr") is not None:
            rows[f"DCR share vs {label}"] = f"{result['dcr']['share']['rate']:.3f}"
    return rows


def _utility(root: Path) -> dict[str, str]:
    rows = {}
    for task, result in read_eval_result(root, UTILITY_FILE).items():
        ci = result.get("ci95")
        interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
        label = f"{result['metric']} ({task}, test {result.get('test_version', result['test'])})"
        rows[label] = f"{result['mean']:.3f}{interval}"
        objects = [run["object_iou"] for run in result.get("runs", []) if run.get("object_iou") is not None]
        if objects:
            rows[f"Object IoU ({task}, test {result.get('test_version', result['test'])})"] = (
                f"{sum(objects) / len(objects):.3f}"
            )
    return rows
