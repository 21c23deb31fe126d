"""The lab: run directories and reports that tie the studies together."""

from embedlab.lab.report import write_reports
from embedlab.lab.rundir import RunDirectory

__all__ = ["RunDirectory", "write_reports"]
