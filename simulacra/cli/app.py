"""The ``simulacra`` command line: a thin edge over the conductor and the stages.

One module per command group parses options and prints; the work lives below ``cli/``.
Each expected failure is a :class:`SimulacraError` subclass and becomes one red line on
stderr with exit code 2; anything else is a bug and keeps its traceback. Heavy modules
(bpy, torch, faiss, trimesh, ...) load inside the commands that use them, so ``--help``
is quick.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.logging import RichHandler

from simulacra.cli.assets import assets_app, schema_app
from simulacra.cli.audit import audit_app, index_app
from simulacra.cli.console import err
from simulacra.cli.evaluation import eval_app, evaluation_app
from simulacra.cli.export import export_app
from simulacra.cli.generate import generate_app
from simulacra.cli.refine import refine_app
from simulacra.cli.scenes import scenes_app
from simulacra.cli.study import study_app
from simulacra.errors import SimulacraError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Privacy-aware procedural scene synthesis: render, label, audit.",
)
app.registered_commands += generate_app.registered_commands  # generate, demo, assemble, merge
app.add_typer(index_app, name="index")
app.add_typer(audit_app, name="audit")
app.add_typer(assets_app, name="assets")
app.add_typer(schema_app, name="schema")
app.add_typer(refine_app, name="refine")
app.registered_commands += scenes_app.registered_commands  # rerender, sweep: top-level
app.add_typer(eval_app, name="eval")
app.registered_commands += evaluation_app.registered_commands  # stats, compare: top-level
app.registered_commands += export_app.registered_commands  # export: top-level
app.registered_commands += study_app.registered_commands  # study: top-level


@app.callback()
def _configure(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug")] = 0,
):
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=err, show_path=False)]
    )


def run(argv: list[str]) -> int:
    """Run the CLI on ``argv`` and return its exit status; expected errors become one line and 2."""
    status = 0
    try:
        returned = app(args=argv, prog_name="simulacra", standalone_mode=False)
        status = returned if isinstance(returned, int) else 0  # typer.Exit(n) comes back as n
    except SimulacraError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        status = 2
    except OSError as error:  # the environment, not a bug: a full disk, a read-only or vanished folder
        where = f"{error.filename}: " if error.filename else ""
        err.print(f"[red]error:[/red] {where}{error.strerror or error}", highlight=False, soft_wrap=True)
        status = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("[red]aborted[/red]")
        status = 130
    except typer.TyperException as error:  # usage errors (bad option value, ...) show themselves
        error.show()  # type: ignore[attr-defined]  (every one raised by parsing is a click-style error)
        status = getattr(error, "exit_code", 2)
    return status


def main() -> None:
    """Console entry point (see :func:`exit_process` for why it does not simply return).

    A bug's traceback is printed here rather than by the interpreter on its way out, so
    that a process that loaded Blender still leaves through :func:`exit_process` (exit 1,
    not a segfault in bpy's teardown).
    """
    import sys
    import traceback

    from simulacra.render.blenderproc_adapter import exit_process

    try:
        status = run(sys.argv[1:])
    except Exception:
        traceback.print_exc()
        status = 1
    exit_process(status)
