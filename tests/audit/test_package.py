"""Tests for the audit package surface."""

import subprocess
import sys


def test_import_pulls_in_neither_bpy_nor_torch() -> None:
    """Importing simulacra.audit loads no Blender and no torch (it runs on plain workers)."""
    code = (
        "import sys, simulacra.audit as a; "
        "assert not {'bpy', 'torch', 'blenderproc'} & set(sys.modules), sorted(sys.modules); "
        "print(len(a.__all__))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_public_names_are_exported() -> None:
    """The facade lists the names other stages use."""
    import simulacra.audit as audit

    for name in ("ReferenceIndex", "Auditor", "Verdict", "write_demo_references", "ReferenceSource"):
        assert name in audit.__all__ and hasattr(audit, name)
