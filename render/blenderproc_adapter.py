"""Run BlenderProc 2.8.0 on the ``bpy`` 4.2.0 module instead of inside Blender's own binary.

BlenderProc expects to be imported by its launcher inside Blender's bundled Python.
Against the PyPI ``bpy`` module three things must be handled, and only here:

1. Its ``__init__`` only loads the API when ``INSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT``
   is set, and then runs ``SetupUtility.setup``, which pip-installs packages into a
   Blender folder that does not exist. We first import the package in its launcher mode
   (which loads nothing but the version), replace ``SetupUtility.setup`` with a no-op,
   and then re-run ``__init__`` in API mode with ``importlib.reload``.
2. In API mode ``__init__`` removes its parent folder (site-packages) from ``sys.path``
   once, so that folder is appended once more before the reload.
3. ``bproc.init()`` sets the UI language, which the module build refuses; :func:`initialize`
   performs init's other steps (clean-up, Cycles, render devices, defaults, init flag).

Ctrl-C needs care too (:func:`interrupts_kept`): the module calls back into Python while it
renders and swallows a ``KeyboardInterrupt`` raised there, so a plain Ctrl-C never stopped
a job.

Upstream's unreleased main branch has an official external-bpy mode doing the same;
when a release has it, this module shrinks to an import. Importing this module has no
side effects: everything happens in :func:`load_blenderproc`, once per process.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from simulacra.errors import RenderError

_INSIDE = "INSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT"
_LAUNCHER = "OUTSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT_BUT_IN_RUN_SCRIPT"
_INSTALL_HINT = "install the render stack with `make setup` (bpy==4.2.0, blenderproc==2.8.0)"


def load_blenderproc() -> ModuleType:
    """Import BlenderProc's API on top of the ``bpy`` module; later calls return the same module."""
    loaded = sys.modules.get("blenderproc")
    if loaded is not None and hasattr(loaded, "renderer"):
        return loaded
    try:
        import bpy  # noqa: F401  (must load before BlenderProc touches it)
    except ImportError as err:
        raise RenderError(f"cannot import bpy ({err}); {_INSTALL_HINT}") from None
    os.environ.pop(_INSIDE, None)
    os.environ[_LAUNCHER] = "1"
    try:
        import blenderproc
        from blenderproc.python.utility.SetupUtility import SetupUtility
    except ImportError as err:
        raise RenderError(f"cannot import blenderproc ({err}); {_INSTALL_HINT}") from None
    finally:
        del os.environ[_LAUNCHER]

    SetupUtility.setup = staticmethod(lambda *args, **kwargs: [])  # packages come from our own install
    os.environ[_INSIDE] = "1"
    sys.path.append(str(Path(blenderproc.__file__).resolve().parent.parent))
    return importlib.reload(blenderproc)


def initialize(bproc: ModuleType, temp_dir: Path) -> None:
    """``bproc.init()`` without the UI-language step, from factory settings.

    Safe to call again in the same process: Blender is reset to an empty factory scene
    and BlenderProc's global store (registered outputs, init flag) is emptied, so a
    second renderer starts exactly like the first. Render devices are chosen separately
    (see :mod:`simulacra.render.devices`).
    """
    import bpy
    from blenderproc.python.renderer import RendererUtility
    from blenderproc.python.utility.GlobalStorage import GlobalStorage
    from blenderproc.python.utility.Initializer import _Initializer
    from blenderproc.python.utility.Utility import Utility

    bpy.ops.wm.read_factory_settings(use_empty=True)
    GlobalStorage._storage_dict.clear()
    Utility.temp_dir = str(temp_dir)
    bproc.clean_up(clean_up_camera=True)
    bpy.context.scene.render.engine = "CYCLES"
    RendererUtility.set_render_devices(use_only_cpu=True)
    _Initializer.set_default_parameters()
    GlobalStorage.set("bproc_init_complete", True)


@contextmanager
def interrupts_kept() -> Iterator[None]:
    """Run a Blender call so that a Ctrl-C (SIGINT) during it still stops the program after it.

    While Cycles renders, bpy runs Python callbacks and prints, then drops, any exception
    raised in them: the ``KeyboardInterrupt`` of a Ctrl-C that lands there is lost. So for
    the call's duration SIGINT goes to a handler that also notes it; afterwards the
    previous handler is installed again (undoing any replacement by Blender) and a noted
    interrupt is raised, so the caller stops before using a possibly cut-short render.
    A process that ignores SIGINT (a farm worker, whose driver stops it) keeps ignoring
    it. Outside the main thread (signals go to it alone) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        noted.append(signum)
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    try:  # swapped inside: a Ctrl-C handled right after the swap still gets `previous` back
        signal.signal(signal.SIGINT, signal.SIG_IGN if previous == signal.SIG_IGN else note)
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        raise KeyboardInterrupt


def exit_process(status: int) -> NoReturn:
    """Exit with ``status``, skipping native teardown once Blender is loaded.

    The ``bpy`` 4.2 module frees Python-defined UI classes from a C exit handler that
    runs after the interpreter is gone, which segfaults (exit 139) after an otherwise
    successful run. Once bpy is imported we flush our streams and leave with
    ``os._exit``, which skips those handlers; otherwise this is a plain ``sys.exit``.
    """
    if "bpy" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def drop_inherited_blender_paths() -> None:
    """Give a spawned process the interpreter's module path, without what Blender added to its parent's.

    ``spawn`` hands a child the driver's ``sys.path``. In a driver that loaded bpy, that
    path lists Blender's ``scripts/modules`` (which holds a ``bpy`` package needing the
    ``_bpy`` of a Blender binary) ahead of site-packages, since BlenderProc's import drops
    one site-packages entry: ``import bpy`` would then fail in the child.
    """
    import site

    blender = (f"{os.sep}bpy{os.sep}", f"{os.sep}blender{os.sep}")
    kept = [p for p in dict.fromkeys(sys.path) if not any(part in p for part in blender)]
    sys.path[:] = kept + [p for p in site.getsitepackages() if p not in kept]
