"""Typed errors raised by embedlab.

Every error a user can cause derives from :class:`EmbedlabError`, so callers can catch
one class, and the CLI can print it as one line.
"""

from __future__ import annotations

__all__ = [
    "EmbedlabError",
    "ConfigError",
    "UnknownPluginError",
    "PluginConflictError",
    "PluginLoadError",
    "InputError",
    "TrainingError",
    "CheckpointError",
]


class EmbedlabError(Exception):
    """Base class of every error a user of embedlab can cause."""


class ConfigError(EmbedlabError, ValueError):
    """Parameters or a configuration file failed validation."""


class UnknownPluginError(EmbedlabError, LookupError):
    """A plugin kind or name that no installed plugin provides."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return str(self.args[0]) if self.args else ""


class PluginConflictError(EmbedlabError):
    """Two distributions registered the same ``(kind, name)``."""


class PluginLoadError(EmbedlabError):
    """A plugin failed to import or register while strict mode was on."""


class InputError(EmbedlabError, ValueError):
    """Data handed to an embedlab function is malformed (shape, values, length)."""


class TrainingError(EmbedlabError):
    """Training diverged (a non-finite loss); the last good checkpoint is kept."""


class CheckpointError(EmbedlabError):
    """A checkpoint file cannot be resumed from: empty, truncated, or from another model."""
