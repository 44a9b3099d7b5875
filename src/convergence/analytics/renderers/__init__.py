"""Renderers of the campaign report: they take the report JSON (a dict, as the engine's
`Report.as_dict()` or a frozen snapshot gives it) and know nothing of SQL."""

from .files import CONTENT_TYPES, EXTENSIONS, render

__all__ = ["CONTENT_TYPES", "EXTENSIONS", "render"]
