"""Typed lights render: SUN, SPOT and AREA lights reach Blender with their type and aim."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.render import Renderer
from simulacra.scenes import resolve, spec_from_dict

pytestmark = pytest.mark.blender


def test_typed_lights_light_the_scene():
    """Each typed light alone gives a lit frame; a zero-strength sun gives a darker one."""
    manifest = builtin_manifest()
    base = {
        "name": "lights",
        "resolution": [64, 64],
        "samples": 8,
        "posters": {"probability": 0.0},
        "background": {"strength_range": 0.0},
    }
    means = {}
    with Renderer(manifest, manifest.categories()) as renderer:
        for kind, extra in (("SUN", {}), ("SPOT", {}), ("AREA", {}), ("dark", {"sun_strength_range": 0.0})):
            lights = {"count_range": 1, "kinds": ["SUN" if kind == "dark" else kind], **extra}
            graph = resolve(
                spec_from_dict({**base, "lights": lights}, source=kind), manifest, job_seed=4, image_index=0
            )
            assert graph.lights[0].kind == ("SUN" if kind == "dark" else kind)
            means[kind] = float(np.mean(renderer.render(graph).rgb))
    assert min(means["SUN"], means["SPOT"], means["AREA"]) > means["dark"] + 1.0, means
