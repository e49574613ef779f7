"""Texture-pack materials in the resolver: seeded, validated, excluded by any map, off by default."""

from __future__ import annotations

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import SpecError
from simulacra.scenes import load_spec, resolve, spec_from_dict


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def _spec(**material):
    return spec_from_dict({"name": "p", "objects": {"material": material}}, source="test")


def test_probability_zero_draws_nothing(manifest):
    """The default (probability 0) gives the graph it gave before packs existed: no texture field."""
    graph = resolve(load_spec("tabletop"), manifest, job_seed=2, image_index=1)
    assert all(node.texture is None for node in (graph.surface, *graph.objects))
    assert '"texture"' not in graph.to_json()


def test_allowed_packs_are_drawn_and_pinned(manifest):
    """At probability 1 every object wears one of the allowed packs; its map is among the graph's assets."""
    spec = _spec(texture_probability=1.0, textures=["builtin_wood", "builtin_marble"])
    graph = resolve(spec, manifest, job_seed=5, image_index=0)
    worn = {node.texture.material for node in graph.objects}
    assert worn <= {"builtin_wood", "builtin_marble"} and graph.surface.texture is None
    assert {node.texture.color.id for node in graph.objects} <= {ref.id for ref in graph.assets()}
    assert resolve(spec, manifest, job_seed=5, image_index=0).to_json() == graph.to_json()


def test_excluding_a_map_excludes_its_pack(manifest):
    """An excluded map (policy, audit, revocation) takes its whole pack out of the draw."""
    spec = _spec(texture_probability=1.0, textures=["builtin_wood", "builtin_marble"])
    wood = next(r.id for r in manifest.assets if r.material == "builtin_wood")
    graph = resolve(spec, manifest, job_seed=5, image_index=0, exclude=frozenset({wood}))
    assert {node.texture.material for node in graph.objects} == {"builtin_marble"}


def test_unknown_pack_is_named_by_its_field(manifest):
    """A pack id the manifest lacks is refused with its YAML path."""
    with pytest.raises(SpecError, match=r"objects.material.textures\[1\]: no texture-pack material 'nope'"):
        resolve(_spec(textures=["builtin_wood", "nope"]), manifest, job_seed=0, image_index=0)
