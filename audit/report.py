"""The audit's HTML report, for reviewers who sign off a dataset without reading code.

One self-contained file: per-signal score histograms against their thresholds, a
summary table of flag rates with Wilson 95% intervals, the identity-leak rate and,
when a hold-out was given, the distance-to-closest-record share (see
:mod:`simulacra.audit.privacy_metrics`), and every rejected output with the matched
region drawn. The index holds no reference pixels, so a reference
thumbnail appears only when the caller passes the reference folder explicitly.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit.auditor import Verdict
from simulacra.audit.images import read_image
from simulacra.audit.index import ReferenceIndex
from simulacra.audit.manifest import ReferenceRecord
from simulacra.audit.privacy_metrics import DcrShare, identity_leaks, wilson
from simulacra.errors import OutputError

SIGNALS = ("phash", "global", "region", "face")
THUMB_SIDE = 320

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simulacra audit report</title>
<style>
body { font-family: sans-serif; margin: 2em; } table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 4px 8px; text-align: right; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
</style></head><body>
<h1>Audit report</h1>
<p>{{ total }} images audited against index {{ content_hash[:12] }} ({{ references }} references);
<strong>{{ rejected }} rejected</strong>
{%- if skipped %}, {{ skipped|length }} unreadable and skipped{% endif %}.</p>
<h2>Summary</h2>
<table id="summary">
<tr><th>signal</th><th>threshold</th><th>flagged</th><th>rate</th><th>Wilson 95% interval</th></tr>
{% for row in rows %}<tr><td>{{ row.signal }}</td><td>{{ row.threshold }}</td>
<td>{{ row.flagged }}/{{ total }}</td><td>{{ "%.4f"|format(row.rate) }}</td>
<td>[{{ "%.4f"|format(row.low) }}, {{ "%.4f"|format(row.high) }}]</td></tr>
{% endfor %}</table>
<h2>Privacy metrics</h2>
<table id="privacy">
<tr><th>metric</th><th>count</th><th>rate</th><th>Wilson 95% interval</th></tr>
<tr><td>identity-leak rate (face of a reference person found)</td>
<td>{{ identity.matched.hits }}/{{ identity.matched.trials }}</td>
<td>{{ "%.4f"|format(identity.matched.rate or 0) }}</td>
<td>[{{ "%.4f"|format(identity.matched.low) }}, {{ "%.4f"|format(identity.matched.high) }}]</td></tr>
{% if dcr %}<tr><td>DCR share (closer to the index than to the hold-out)</td>
<td>{{ "%g"|format(dcr.share.hits) }}/{{ dcr.share.trials }}</td><td>{{ "%.4f"|format(dcr.share.rate) }}</td>
<td>[{{ "%.4f"|format(dcr.share.low) }}, {{ "%.4f"|format(dcr.share.high) }}]</td></tr>{% endif %}
</table>
{% if identity.references %}<p>Identities matched:
{% for ref, n in identity.references.items() %}{{ ref }} ({{ n }}){{ ", " if not loop.last }}{% endfor %}.</p>
{% endif %}
{% if dcr %}<p id="dcr-reading">{{ dcr.reading() }}</p>
{% else %}<p id="dcr-reading">DCR share not computed: it needs real images that are not in the index
(<code>simulacra audit DIR --index I --holdout REAL_DIR</code>).</p>{% endif %}
<h2>Score distributions</h2>
{% for signal, uri in histograms %}<figure><img alt="{{ signal }} scores" src="{{ uri }}"></figure>
{% endfor %}
<h2>Rejected images</h2>
{% for item in rejects %}<div class="rejected"><h3>{{ item.file }}</h3>
<p>signal {{ item.signal }}, reference {{ item.reference }}, score {{ item.score }} x threshold</p>
<figure><img class="output" alt="{{ item.file }}" src="{{ item.output }}"><figcaption>output, matched region
{{ item.region }}</figcaption></figure>
{% if item.thumbnail %}<figure><img class="reference" alt="{{ item.reference }}" src="{{ item.thumbnail }}">
<figcaption>reference {{ item.reference }}</figcaption></figure>{% endif %}
</div>{% else %}<p>None.</p>{% endfor %}
{% if skipped %}<h2>Skipped</h2><ul>{% for line in skipped %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""


def _png_uri(bgr: np.ndarray) -> str:
    _, data = cv2.imencode(".png", bgr)
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def _thumbnail(rgb: np.ndarray, box: tuple[int, int, int, int] | None) -> str:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    scale = min(1.0, THUMB_SIDE / max(bgr.shape[:2]))
    bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    if box is not None:
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        cv2.rectangle(bgr, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), (0, 0, 255), 2)
    return _png_uri(np.ascontiguousarray(bgr))


def _histogram(signal: str, scores: list[float], threshold: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 2.6), dpi=90)
    axes.hist(scores, bins=30, color="#4477aa")
    axes.axvline(threshold, color="#cc3311", linestyle="--", label=f"threshold {threshold:g}")
    axes.set_title(f"{signal} score")
    axes.set_ylabel("images")
    axes.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class SignalRow:
    """One line of the summary table."""

    signal: str
    threshold: float
    flagged: int
    rate: float
    low: float
    high: float


def summary(verdicts: list[Verdict]) -> list[SignalRow]:
    """Per-signal flag counts and rates with Wilson 95% intervals (plus ``any``)."""
    total = len(verdicts)
    rows = []
    for signal in (*SIGNALS, "any"):
        flagged = sum(v.verdict == "reject" if signal == "any" else v.signals[signal].fired for v in verdicts)
        threshold = verdicts[0].signals[signal].threshold if signal != "any" and verdicts else float("nan")
        rows.append(SignalRow(signal, threshold, flagged, flagged / max(total, 1), *wilson(flagged, total)))
    return rows


def _reject_row(
    verdict: Verdict, by_id: dict[str, ReferenceRecord], images: Path, references: Path | None
) -> dict:
    """One rejected output for the report: its thumbnail, and its reference's where allowed."""
    rgb, _ = read_image(images / verdict.file if verdict.file else images)
    thumbnail = None
    record = by_id.get(verdict.reference or "")
    if references is not None and record is not None and (references / record.file).is_file():
        ref_rgb, sha = read_image(references / record.file)
        thumbnail = _thumbnail(ref_rgb, None) if sha == record.sha256 else None
    return {
        "file": verdict.file,
        "signal": verdict.signal,
        "reference": verdict.reference,
        "score": verdict.score,
        "region": verdict.region,
        "output": _thumbnail(rgb, verdict.region),
        "thumbnail": thumbnail,
    }


def write_report(
    path: Path,
    verdicts: list[Verdict],
    index: ReferenceIndex,
    images: Path,
    *,
    references: Path | None = None,
    skipped: list[str] | None = None,
    dcr: DcrShare | None = None,
) -> Path:
    """Write the HTML report for ``verdicts`` of files under ``images``.

    ``dcr`` is the outputs' distance-to-closest-record share, when a hold-out was given.

    ``references``, when given, is the folder the index was built from: rejected
    outputs are then shown next to their reference's thumbnail (only if the file
    there still has the sha256 the index recorded). Without it no reference pixel
    is written.

    Raises:
        AssetError: the report cannot be written.
    """
    from jinja2 import Environment

    by_id = {r.id: r for r in index.references}
    rejects = [_reject_row(v, by_id, images, references) for v in verdicts if v.verdict == "reject"]
    histograms = [
        (s, _histogram(s, [v.signals[s].score for v in verdicts], verdicts[0].signals[s].threshold))
        for s in SIGNALS
        if verdicts
    ]
    html = (
        Environment(autoescape=True)
        .from_string(_TEMPLATE)
        .render(
            total=len(verdicts),
            rejected=sum(v.verdict == "reject" for v in verdicts),
            references=len(index.references),
            content_hash=index.manifest.content_hash,
            rows=summary(verdicts),
            histograms=histograms,
            rejects=rejects,
            skipped=skipped or [],
            identity=identity_leaks(v.to_dict() for v in verdicts),
            dcr=dcr,
        )
    )
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the audit report ({exc.strerror})") from exc
    return path
