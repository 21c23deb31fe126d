"""The ``embedlab`` command.

User errors (any :class:`embedlab.EmbedlabError`, and an :class:`OSError` about a named file,
such as a permission denied) print one line on stderr and exit with code 2;
``embedlab --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

import embedlab
from embedlab.errors import EmbedlabError
from embedlab.progress import quiet_option
from embedlab.registry import KINDS

__all__ = ["main"]

#: Subcommands defined next to the code they drive, imported only when invoked or listed.
SUBCOMMANDS: dict[str, str] = {
    "evaluate": "embedlab.metrics.cli:evaluate_command",
    "run": "embedlab.lab.cli:run_command",
    "runs": "embedlab.lab.runs_cli:runs",
    "tune": "embedlab.tuning.cli:tune_command",
    "words": "embedlab.words.cli:words",
}


class _Group(click.Group):
    """A command group with lazily imported subcommands that turns embedlab errors into one line
    and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS and cmd_name not in self.commands:
            module_name, _, attr = SUBCOMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module_name), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (EmbedlabError, OSError) as exc:
            message = _user_error(exc)
            if message is None or ctx.find_root().params.get("debug"):
                raise
            click.echo(f"embedlab: error: {message}", err=True)
            sys.exit(2)


def _user_error(exc: BaseException) -> str | None:
    """The one-line message of a user error, or ``None`` for an error that is a bug.

    An :class:`OSError` naming a file (permission denied, is a directory, disk full) is the
    user's to fix, whichever code hit it; one without a file name is not.
    """
    if isinstance(exc, OSError) and not isinstance(exc, EmbedlabError):
        if exc.filename is None:
            return None
        text = (
            f"cannot access {str(exc.filename)!r}: {exc.strerror or exc}; check the path and its permissions"
        )
    else:
        text = str(exc)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


@click.group(cls=_Group)
@click.version_option(embedlab.__version__, prog_name="embedlab")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@quiet_option
def main(debug: bool) -> None:
    """Learn and evaluate embeddings."""


@main.command("plugins", short_help="List registered components and their distributions.")
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only this kind of component.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list with each params schema.")
def plugins_command(kind: str | None, as_json: bool) -> None:
    """List every registered component and the distribution it came from."""
    from embedlab.lab.tables import format_table

    infos = embedlab.plugins(kind)
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2))
        return
    rows = [[i.kind, i.name, i.distribution, i.version, i.summary] for i in infos]
    click.echo(format_table(["kind", "name", "distribution", "version", "summary"], rows))
