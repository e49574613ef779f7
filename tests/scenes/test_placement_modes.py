"""objects.placement: grid and in_volume resolve deterministically, inside the surface; default unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.scenes import load_spec, resolve, spec_from_dict


def _spec(**objects):
    return spec_from_dict({"name": "p", "objects": {"count_range": 9, **objects}}, source="test")


@pytest.mark.parametrize("placement", ["grid", "in_volume", "physics_drop"])
def test_placement_is_deterministic(placement):
    """The same seed gives byte-identical graphs; another seed gives another one."""
    manifest, spec = builtin_manifest(), _spec(placement=placement)
    first = resolve(spec, manifest, job_seed=1, image_index=0).to_json()
    assert first == resolve(spec, manifest, job_seed=1, image_index=0).to_json()
    assert first != resolve(spec, manifest, job_seed=2, image_index=0).to_json()


def test_grid_places_objects_in_their_cells_on_the_surface():
    """Rows x cols objects at most, each within jitter of its cell centre, upright on the surface."""
    spec = _spec(placement="grid", grid=[2, 3], grid_jitter=0.5)
    for seed in range(5):
        graph = resolve(spec, builtin_manifest(), job_seed=seed, image_index=0)
        width, depth = graph.surface.size
        assert 0 < len(graph.objects) <= 6
        for index, node in enumerate(graph.objects):
            row, col = divmod(index, 3)
            x, y, z = node.location
            assert abs(x) <= width / 2 and abs(y) <= depth / 2 and z >= 0
            assert abs(x - (-width / 2 + (col + 0.5) * width / 3)) <= 0.25 * width / 3 + 1e-6
            assert abs(y - (-depth / 2 + (row + 0.5) * depth / 2)) <= 0.25 * depth / 2 + 1e-6
            assert node.rotation_deg is None


def test_in_volume_floats_apart_with_full_rotations():
    """Bounding spheres lie over the surface, above it by the drawn gap, and do not overlap."""
    manifest = builtin_manifest()
    spec = _spec(placement="in_volume", height_range=[0.1, 0.3])
    records = {r.id: r for r in manifest.assets}
    for seed in range(5):
        graph = resolve(spec, manifest, job_seed=seed, image_index=0)
        width, depth = graph.surface.size
        spheres = []
        for node in graph.objects:
            record = records[node.asset.id]
            radius = float(np.linalg.norm(np.abs(np.asarray(record.bounds)).max(axis=0))) * node.scale
            radius /= record.unit_scale
            x, y, z = node.location
            assert abs(x) + radius <= width / 2 + 1e-6 and abs(y) + radius <= depth / 2 + 1e-6
            assert 0.1 - 1e-6 <= z - radius <= 0.3 + 1e-6
            assert node.rotation_deg is not None and node.yaw_deg == node.rotation_deg[2]
            spheres.append(((x, y, z), radius))
        for i, (a, ra) in enumerate(spheres):
            assert all(math.dist(a, b) >= ra + rb for b, rb in spheres[i + 1 :])
    tilted = [abs(n.rotation_deg[0]) > 1 for n in graph.objects]
    assert any(tilted)


def test_default_placement_keeps_the_preset_graph():
    """Naming on_surface explicitly gives the same bytes as leaving placement unset."""
    manifest, preset = builtin_manifest(), load_spec("tabletop")
    explicit = preset.model_copy(
        update={"objects": preset.objects.model_copy(update={"placement": "on_surface"})}
    )
    assert (
        resolve(explicit, manifest, job_seed=0, image_index=3).to_json()
        == resolve(preset, manifest, job_seed=0, image_index=3).to_json()
    )
    assert '"rotation_deg"' not in resolve(preset, manifest, job_seed=0, image_index=3).to_json()


def test_unknown_placement_is_named():
    """A misspelt mode is refused with its YAML path."""
    from simulacra.errors import SpecError

    with pytest.raises(SpecError, match=r"objects\.placement"):
        _spec(placement="stacked")
