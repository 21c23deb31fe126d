"""``embedlab runs list|compare``: the run history from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from embedlab.progress import quiet_option

__all__ = ["runs"]

_json = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


@click.group("runs", short_help="List the runs under a folder, or compare two runs.")
def runs() -> None:
    """List the run directories under a folder, or compare two runs."""


@runs.command("list", short_help="List the runs under a folder, newest first.")
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Folder that holds run directories.",
)
@_json
@quiet_option
def list_command(out: Path, as_json: bool) -> None:
    """List the runs under --out, newest first: name, start, duration, status and headline metrics."""
    from embedlab.lab.runs import list_runs
    from embedlab.lab.tables import format_table

    found = list_runs(out)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in found], indent=2))
        return
    if not found:
        click.echo(f"No runs under {out}.")
        return
    rows = [
        [
            r.run,
            r.name,
            r.started_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.started_at else "?",
            _duration(r.duration_s),
            r.status,
            r.headline or "n/a",
        ]
        for r in found
    ]
    click.echo(format_table(["run", "name", "started", "duration", "status", "headline"], rows, numeric=(3,)))


@runs.command("compare", short_help="Compare two runs: config changes, metric deltas, curves.")
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Folder where runs given by name are found.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the comparison page.  [default: RUN_B/compare-<RUN_A>.html]",
)
@_json
@quiet_option
def compare_command(run_a: str, run_b: str, runs_dir: Path, out: Path | None, as_json: bool) -> None:
    """Compare RUN_A with RUN_B (run directories, or run names under --runs-dir).

    Prints how the config changed and each metric both runs hold with its delta (B - A), and
    writes an HTML page with both runs' learning curves overlaid. What only one run holds is
    named on stderr.
    """
    from embedlab.lab.runs import compare_runs, resolve_run, write_comparison_page

    comparison = compare_runs(resolve_run(run_a, runs_dir), resolve_run(run_b, runs_dir))
    if comparison.note:
        click.echo(f"embedlab: note: {comparison.note}", err=True)
    page = write_comparison_page(comparison, out)
    if as_json:
        click.echo(json.dumps({**comparison.to_dict(), "page": str(page)}, indent=2))
        return
    click.echo(comparison.render_text())
    click.echo(f"\ncomparison page: {page}")
