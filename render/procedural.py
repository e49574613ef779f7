"""Procedural materials: Blender shader node graphs built from a recorded family's values.

No image file is read and nothing is drawn here: every number comes from the graph's
record (randomize/procedural.py), so a scene renders the same from its graph alone.
Patterns are sampled at the shading point's world position (metres), turned by the
record's ``yaw_deg`` and shifted by its ``w``: meshes need no UVs, sizes
read the same on every object, and two objects of one family differ. One builder per
family, each a few named steps over the small node helpers of :class:`_Tree`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from simulacra.randomize.procedural import (
    RGB,
    BrushedMetal,
    Ceramic,
    Concrete,
    Fabric,
    Glass,
    Leather,
    Liquid,
    Marble,
    PaintedMetal,
    Paper,
    Plastic,
    ProceduralMaterial,
    Rubber,
    Wood,
)

BUMP_DISTANCE = 0.002  # metres of relief at full strength: fine surface detail, not geometry
Value = float | object  # a constant, or a node output socket to link


def _rgba(rgb: RGB, scale: float = 1.0) -> tuple[float, float, float, float]:
    return (rgb[0] * scale, rgb[1] * scale, rgb[2] * scale, 1.0)


class _Tree:
    """A material's node tree with the few node shapes the families are made of."""

    def __init__(self, material: object, record: ProceduralMaterial):
        self.nodes = material.node_tree.nodes  # type: ignore[attr-defined]
        self.links = material.node_tree.links  # type: ignore[attr-defined]
        self.bsdf = self.nodes["Principled BSDF"]
        self.output = self.nodes["Material Output"]
        position = self.nodes.new("ShaderNodeNewGeometry").outputs["Position"]
        # ``w`` shifts the pattern far along a skew direction: a cheaper stand-in for 4-D noise.
        turn, shift = (0.0, 0.0, math.radians(record.yaw_deg)), (record.w, record.w * 0.61, record.w * 0.37)
        self.position = self.mapping(position, rotation=turn, location=shift)

    def set(self, socket: object, value: Value) -> None:
        if hasattr(value, "is_output"):
            self.links.new(value, socket)
        else:
            socket.default_value = value  # type: ignore[attr-defined]

    def node(self, kind: str, inputs: dict[str, Value], **properties: object) -> object:
        node = self.nodes.new(kind)
        for name, value in properties.items():
            setattr(node, name, value)
        for name, value in inputs.items():
            self.set(node.inputs[name], value)
        return node

    def shade(self, **inputs: Value) -> None:
        """Principled BSDF inputs, by name with spaces as underscores (``base_color=``)."""
        for name, value in inputs.items():
            self.set(self.bsdf.inputs[name.replace("_", " ").title().replace("Ior", "IOR")], value)

    def mapping(
        self, vector: object, *, rotation=(0.0, 0.0, 0.0), scale=(1.0, 1.0, 1.0), location=(0.0,) * 3
    ):
        inputs = {"Vector": vector, "Location": location, "Rotation": rotation, "Scale": scale}
        return self.node("ShaderNodeMapping", inputs).outputs["Vector"]

    def noise(self, scale: float, *, vector=None, detail=3.0, roughness=0.5, distortion=0.0) -> object:
        inputs = {"Vector": vector or self.position, "Scale": scale, "Detail": detail}
        inputs.update({"Roughness": roughness, "Distortion": distortion})
        return self.node("ShaderNodeTexNoise", inputs, noise_dimensions="3D").outputs["Fac"]

    def wave(self, scale: float, *, kind="BANDS", direction="X", profile="SIN", **inputs: float) -> object:
        """Wave bands (or rings round ``direction``); extra inputs by name with underscores."""
        values = {"Vector": self.position, "Scale": scale}
        values.update({name.replace("_", " ").title(): value for name, value in inputs.items()})
        node = self.node("ShaderNodeTexWave", values, wave_type=kind, wave_profile=profile)
        setattr(node, "rings_direction" if kind == "RINGS" else "bands_direction", direction)
        return node.outputs["Fac"]

    def voronoi(self, scale: float, *, output="Distance", feature="F1", vector=None) -> object:
        inputs = {"Vector": vector or self.position, "Scale": scale}
        node = self.node("ShaderNodeTexVoronoi", inputs, voronoi_dimensions="3D", feature=feature)
        return node.outputs[output]

    def ramp(self, fac: object, stops: list[tuple[float, tuple]], *, constant: bool = False) -> object:
        node = self.node("ShaderNodeValToRGB", {"Fac": fac})
        elements = node.color_ramp.elements
        node.color_ramp.interpolation = "CONSTANT" if constant else "LINEAR"
        for index, (position, colour) in enumerate(stops):
            element = elements[index] if index < 2 else elements.new(position)
            element.position, element.color = position, colour if len(colour) == 4 else (*colour, 1.0)
        return node.outputs["Color"]

    def mix(self, fac: Value, a: Value, b: Value, *, blend: str = "MIX") -> object:
        node = self.nodes.new("ShaderNodeMix")
        node.data_type, node.blend_type = "RGBA", blend
        sockets = {(s.name, s.type): s for s in node.inputs}
        for key, value in ((("Factor", "VALUE"), fac), (("A", "RGBA"), a), (("B", "RGBA"), b)):
            self.set(sockets[key], value)
        return next(s for s in node.outputs if s.type == "RGBA")

    def math(self, operation: str, a: Value, b: Value) -> object:
        node = self.node("ShaderNodeMath", {}, operation=operation)
        self.set(node.inputs[0], a)
        self.set(node.inputs[1], b)
        return node.outputs[0]

    def band(self, fac: object, low: float, high: float, *, to: tuple[float, float] = (0.0, 1.0)) -> object:
        """``fac`` mapped from [low, high] to ``to``, clamped: a soft threshold (``to=(1, 0)`` inverts)."""
        inputs = {"Value": fac, "From Min": low, "From Max": high, "To Min": to[0], "To Max": to[1]}
        return self.node("ShaderNodeMapRange", inputs).outputs["Result"]

    def bump(self, height: object, strength: float) -> None:
        inputs = {"Height": height, "Strength": min(1.0, strength), "Distance": BUMP_DISTANCE}
        self.shade(normal=self.node("ShaderNodeBump", inputs).outputs["Normal"])


def _wood(t: _Tree, m: Wood) -> None:
    """Rings round the x axis (a plank's grain), streaks stretched along it, knots from sparse cells."""
    rings = t.wave(m.ring_scale, kind="RINGS", profile="SAW", distortion=m.ring_distortion, detail=3.0)
    along = t.mapping(t.position, scale=(0.04, 1.0, 1.0))
    grain = t.noise(m.grain_scale, vector=along, detail=2.0)
    dark = _rgba(m.light, m.darkness)
    colour = t.ramp(rings, [(0.0, _rgba(m.light)), (0.8, dark), (1.0, _rgba(m.light))])
    colour = t.mix(t.band(grain, 0.3, 0.7), colour, dark, blend="MULTIPLY")
    if m.knots > 0.05:
        knot = t.band(t.voronoi(6.0, vector=t.mapping(t.position, scale=(0.3, 1.0, 1.0))), 0.0, 0.3 * m.knots)
        colour = t.mix(t.math("SUBTRACT", 1.0, knot), colour, _rgba(m.light, m.darkness * 0.5))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0)
    t.bump(rings, 0.15)


def _marble(t: _Tree, m: Marble) -> None:
    """Thin veins where a heavily distorted band pattern crosses mid-grey; granite speckle on top."""
    bands = t.wave(m.vein_scale, direction="DIAGONAL", distortion=m.distortion, detail=3.0)
    veins = t.band(t.math("ABSOLUTE", t.math("SUBTRACT", bands, 0.5), 0.0), 0.0, m.vein_width, to=(1.0, 0.0))
    colour = t.mix(veins, _rgba(m.ground), _rgba(m.vein))
    if m.speckle > 0.05:
        grains = t.band(t.voronoi(300.0, output="Distance"), 0.0, 0.4 * m.speckle, to=(1.0, 0.0))
        colour = t.mix(grains, colour, _rgba(m.vein, 0.6))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0, coat_weight=0.3)


def _concrete(t: _Tree, m: Concrete) -> None:
    """Large soft stains over the ground, fine grit and sparse pits in colour and relief."""
    stains = t.band(t.noise(m.stain_scale, detail=3.0), 0.35, 0.75)
    grit = t.noise(m.grit_scale, detail=2.0)
    colour = t.mix(stains, _rgba(m.ground), _rgba(m.ground, 1.0 - m.stain))
    colour = t.mix(t.band(grit, 0.2, 0.8), colour, _rgba(m.ground, 0.85), blend="MULTIPLY")
    pits = t.band(t.voronoi(m.grit_scale * 0.3), 0.0, 0.15 * m.pits + 1e-3, to=(1.0, 0.0))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0)
    t.bump(t.math("SUBTRACT", grit, pits), m.bump)


def _brushed_metal(t: _Tree, m: BrushedMetal) -> None:
    """Streaks along x (noise squeezed across it) and thin random scratches, both in the roughness."""
    streaks = t.noise(m.brush_scale, vector=t.mapping(t.position, scale=(0.01, 1.0, 1.0)), detail=1.0)
    roughness = t.band(streaks, 0.0, 1.0, to=(m.roughness * 0.6, m.roughness * 1.4))
    if m.scratches > 0.05:
        lines = t.noise(m.scratch_scale, detail=4.0, distortion=2.0)
        scratch = t.band(t.math("ABSOLUTE", t.math("SUBTRACT", lines, 0.5), 0.0), 0.0, 0.01 * m.scratches)
        roughness = t.math("MAXIMUM", roughness, t.math("SUBTRACT", 1.0, scratch))
    t.shade(base_color=_rgba(m.color), metallic=1.0, roughness=roughness, anisotropic=m.anisotropy)


def _painted_metal(t: _Tree, m: PaintedMetal) -> None:
    """Paint over grey metal; chips where a noise passes a threshold; a fine orange peel."""
    chips = t.band(t.noise(m.chip_scale, detail=4.0, roughness=0.7), 1.0 - m.chips, 1.0 - m.chips + 0.02)
    t.shade(
        base_color=t.mix(chips, _rgba(m.paint), (0.55, 0.55, 0.56, 1.0)),
        metallic=chips,
        roughness=t.mix(chips, (m.roughness,) * 3 + (1.0,), (0.3, 0.3, 0.3, 1.0)),
    )
    t.bump(t.noise(400.0, detail=1.0), m.peel)


def _plastic(t: _Tree, m: Plastic) -> None:
    """The colour with a faint fine mottle; glossy or matte; an optional clear coat."""
    mottle = t.noise(m.noise_scale, detail=2.0)
    colour = t.mix(t.math("MULTIPLY", mottle, m.noise * 4.0), _rgba(m.color), _rgba(m.color, 0.8))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0, coat_weight=m.coat, coat_roughness=0.05)
    t.bump(mottle, m.bump)


def _rubber(t: _Tree, m: Rubber) -> None:
    """Dark, rough, a little sheen, and a fine grain in the relief."""
    t.shade(base_color=_rgba(m.color), roughness=m.roughness, metallic=0.0, sheen_weight=m.sheen)
    t.bump(t.noise(m.grain_scale, detail=2.0), m.bump)


def _fabric(t: _Tree, m: Fabric) -> None:
    """Warp and weft bands crossing, each hiding the other on alternate cells of a checker; sheen, fuzz."""
    warp, weft = t.wave(m.threads, direction="X"), t.wave(m.threads, direction="Y")
    cells = t.node("ShaderNodeTexChecker", {"Vector": t.position, "Scale": m.threads * 6.37}).outputs["Fac"]
    weave = t.mix(cells, warp, weft)
    colour = t.mix(t.math("SUBTRACT", 1.0, weave), _rgba(m.color), _rgba(m.color, 1.0 - m.contrast))
    colour = t.mix(t.math("MULTIPLY", t.noise(m.threads * 0.5), m.fuzz), colour, (0.9, 0.9, 0.9, 1.0))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0, sheen_weight=m.sheen)
    t.bump(weave, 0.4)


def _leather(t: _Tree, m: Leather) -> None:
    """Pebbled cells (Voronoi edges) in the relief, large creases darkening the colour."""
    pebbles = t.voronoi(m.grain_scale, feature="DISTANCE_TO_EDGE")
    creases = t.band(t.noise(8.0, detail=3.0), 0.5, 0.7)
    colour = t.mix(t.math("MULTIPLY", creases, m.creases * 3.0), _rgba(m.color), _rgba(m.color, 0.6))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0, sheen_weight=0.2)
    t.bump(t.band(pebbles, 0.0, 0.1), m.bump)


def _ceramic(t: _Tree, m: Ceramic) -> None:
    """The colour under a glossy coat; glaze pooled darker in large patches; faint crackle lines."""
    pooled = t.band(t.noise(6.0, detail=3.0), 0.4, 0.7)
    colour = t.mix(t.math("MULTIPLY", pooled, m.pooling * 4.0), _rgba(m.color), _rgba(m.color, 0.7))
    if m.crackle > 0.05:
        lines = t.band(t.voronoi(m.crackle_scale, feature="DISTANCE_TO_EDGE"), 0.0, 0.02, to=(1.0, 0.0))
        colour = t.mix(t.math("MULTIPLY", lines, m.crackle * 0.5), colour, (0.15, 0.13, 0.1, 1.0))
    t.shade(base_color=colour, roughness=m.roughness, metallic=0.0, coat_weight=1.0, coat_roughness=0.02)
    t.shade(subsurface_weight=0.05)


def _paper(t: _Tree, m: Paper) -> None:
    """Fibrous stock; brick cells drawn by a random grey printed in ink when under ``coverage``, striped."""
    fibres = t.noise(m.fibre_scale, vector=t.mapping(t.position, scale=(0.2, 1.0, 1.0)), detail=3.0)
    stock = t.mix(t.band(fibres, 0.3, 0.7), _rgba(m.stock, 0.9), _rgba(m.stock))
    cells = t.node(
        "ShaderNodeTexBrick",
        {"Vector": t.position, "Color1": (0, 0, 0, 1), "Color2": (1, 1, 1, 1), "Mortar Size": 0.0},
        offset=0.5,
    )
    t.set(cells.inputs["Scale"], m.patch_scale)
    printed = t.band(cells.outputs["Color"], m.coverage, m.coverage + 0.001, to=(1.0, 0.0))
    stripes = t.wave(m.stripe_scale, direction="Y")
    ink = t.mix(t.band(stripes, 0.45, 0.55), _rgba(m.ink), _rgba(m.ink, 0.4))
    t.shade(base_color=t.mix(printed, stock, ink), roughness=m.roughness, metallic=0.0)
    t.bump(fibres, 0.1)


def _glass(t: _Tree, m: Glass) -> None:
    t.shade(base_color=_rgba(m.tint), roughness=m.roughness, metallic=0.0, ior=m.ior, transmission_weight=1.0)


def _liquid(t: _Tree, m: Liquid) -> None:
    """A clear smooth surface over a volume that lets the colour through: deeper reads darker."""
    t.shade(base_color=(1.0, 1.0, 1.0, 1.0), roughness=0.0, metallic=0.0, ior=m.ior, transmission_weight=1.0)
    volume = t.node("ShaderNodeVolumeAbsorption", {"Color": _rgba(m.color), "Density": m.density})
    t.links.new(volume.outputs["Volume"], t.output.inputs["Volume"])


_BUILDERS: dict[str, Callable] = {
    "wood": _wood,
    "marble": _marble,
    "concrete": _concrete,
    "brushed_metal": _brushed_metal,
    "painted_metal": _painted_metal,
    "plastic": _plastic,
    "rubber": _rubber,
    "fabric": _fabric,
    "leather": _leather,
    "ceramic": _ceramic,
    "paper": _paper,
    "glass": _glass,
    "liquid": _liquid,
}


def procedural_material(name: str, record: ProceduralMaterial) -> object:
    """A new ``bpy.types.Material`` named ``name`` built from ``record``'s family and values."""
    import bpy

    material = bpy.data.materials.new(name)
    material.use_nodes = True
    _BUILDERS[record.family](_Tree(material, record), record)
    return material


# BlenderProc's defaults (DefaultConfig): no glossy or transmission bounce, which keeps flat
# scenes fast but renders glass black and metal without reflections. Scenes with a procedural
# material get light paths that show them; others keep the defaults, and so their pixels.
FLAT_BOUNCES = {"glossy_bounces": 0, "transmission_bounces": 0, "volume_bounces": 0, "max_bounces": 3}
PROCEDURAL_BOUNCES = {"glossy_bounces": 2, "transmission_bounces": 6, "volume_bounces": 1, "max_bounces": 8}


def set_light_paths(procedural: bool) -> None:
    """Cycles' bounce limits for a scene with (or without) procedural materials."""
    import bpy

    for name, value in (PROCEDURAL_BOUNCES if procedural else FLAT_BOUNCES).items():
        setattr(bpy.context.scene.cycles, name, value)
