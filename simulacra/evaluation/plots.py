"""PNG plots of :class:`DatasetStatistics`, drawn with matplotlib's Agg backend (no display)."""

from __future__ import annotations

from pathlib import Path

from simulacra.dataset.stats import DatasetStatistics

# (file stem, title, [(panel title, attribute, x label)]) for every histogram figure
_HISTOGRAMS = (
    ("instances_per_image", "Instances per image", [("", "instances_per_image", "instances")]),
    ("object_size", "Object size", [("visible area", "relative_areas", "share of image pixels")]),
    ("visible_fraction", "Visible fraction", [("", "visible_fractions", "visible / unoccluded area")]),
    (
        "lights",
        "Lights (scene graphs)",
        [
            ("per image", "lights_per_image", "lights"),
            ("energy", "light_energy", "W (W/m² for sun)"),
            ("colour temperature", "light_temperature_k", "K"),
        ],
    ),
    (
        "camera",
        "Camera (scene graphs)",
        [
            ("distance", "camera_distance", "m"),
            ("elevation", "camera_elevation_deg", "degrees"),
            ("azimuth", "camera_azimuth_deg", "degrees"),
        ],
    ),
)


def save_plots(stats: DatasetStatistics, folder: Path) -> list[Path]:
    """Write one PNG per statistic into ``folder``; returns the files written.

    Figures whose data the dataset lacks (no scene graphs, no visible fractions) are skipped.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    bars = (
        ("instances_per_class", "Instances per class", stats.instances_per_class),
        (
            "pixel_coverage",
            "Pixel coverage per class (background left out)",
            {k: v for k, v in stats.pixel_coverage.items() if k != "background"},
        ),
        ("images_per_license", "Images per license", stats.images_per_license),
    )
    for stem, title, values in bars:
        if not values:
            continue
        figure, axis = plt.subplots(figsize=(6, 3.5))
        axis.bar(list(values), list(values.values()), color="tab:blue")
        axis.set_title(title)
        axis.tick_params(axis="x", rotation=45)
        written.append(_save(figure, folder / f"{stem}.png"))
    for stem, title, panels in _HISTOGRAMS:
        present = [
            (name, getattr(stats, attr), label) for name, attr, label in panels if getattr(stats, attr)
        ]
        if not present:
            continue
        figure, axes = plt.subplots(1, len(present), figsize=(3.2 * len(present) + 1, 3.2), squeeze=False)
        for axis, (name, values, label) in zip(axes[0], present, strict=True):
            axis.hist(values, bins=min(20, max(5, len(values) // 3)), color="tab:blue")
            axis.set_title(name)
            axis.set_xlabel(label)
        figure.suptitle(title)
        written.append(_save(figure, folder / f"{stem}.png"))
    return written


def _save(figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
