"""``embedlab run CONFIG [--out DIR] [--resume [--force-new]]``."""

from __future__ import annotations

from pathlib import Path

import click

from embedlab.progress import quiet_option

__all__ = ["run_command"]


@click.command("run", short_help="Run an experiment and write its run directory.")
@click.argument("config", type=click.Path(path_type=Path))
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Folder that holds run directories.",
)
@click.option("--resume", is_flag=True, help="Continue the newest run of this config from its checkpoints.")
@click.option(
    "--force-new",
    is_flag=True,
    help="With --resume: if the config changed since that run, start a new run instead of refusing.",
)
@click.option(
    "--stand-in",
    is_flag=True,
    help="Run on embedlab's embedded stand-ins instead of MNIST, Fashion-MNIST, DermaMNIST or a downloaded word space; the report says so.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON: path, report, metrics, figures."
)
@quiet_option
def run_command(
    config: Path,
    overrides: tuple[str, ...],
    out: Path,
    resume: bool,
    force_new: bool,
    stand_in: bool,
    as_json: bool,
) -> None:
    """Run the experiment CONFIG and write a run directory with report.html.

    KEY=VALUE items override the file's settings and are validated like it (train.epochs=5).
    """
    import logging

    from embedlab.config import load_config
    from embedlab.lab.check import run_problems
    from embedlab.lab.run import run

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("embedlab.lab").setLevel(logging.INFO)
    loaded = load_config(config, run_problems, overrides) if overrides else config
    result = run(loaded, out, resume=resume, force_new=force_new, stand_in=stand_in)
    if as_json:
        import json

        fields = {"path": str(result.path), "report": str(result.report)}
        click.echo(json.dumps({**fields, "metrics": result.metrics, "figures": result.figures}, indent=2))
        return
    click.echo(f"report: {result.report}")
