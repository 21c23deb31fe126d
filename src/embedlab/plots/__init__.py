"""Matplotlib figures. Every function returns a ``Figure`` and saves only when asked."""
