"""The JSON parser, hardened against hostile bodies: nesting deeper than `MAX_DEPTH` levels (no
request of this API needs more than 4) is a 400 in the API's error shape, whether Python's decoder
could follow it or not (a RecursionError, not a ValueError, which DRF's parser lets through as a
500)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - the body is nested too deeply (more than {MAX_DEPTH} levels)"


def depth_exceeds(data: Any, limit: int) -> bool:
    """Iterative, so that measuring a hostile body cannot itself overflow the stack."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
