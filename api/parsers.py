"""The API's parsers: JSON (DRF's, refusing documents nested too deep to be a real request) and
a raw CSV body."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 16


class JSONParser(parsers.JSONParser):
    """JSON, refusing documents nested deeper than any request needs: Python's decoder (and
    everything that walks the result afterwards) would otherwise run out of recursion."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            ) from None
        level = 0
        todo: list[Any] = [data] if isinstance(data, dict | list) else []
        while todo:
            level += 1
            if level > MAX_JSON_DEPTH:
                raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            todo = [
                child
                for value in todo
                for child in (value.values() if isinstance(value, dict) else value)
                if isinstance(child, dict | list)
            ]
        return data


class CsvParser(parsers.BaseParser):
    """A raw ``text/csv`` body, as text (UTF-8, a byte order mark allowed)."""

    media_type = "text/csv"

    # request.data is then the text itself, which DRF allows though its stubs do not.
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> str:
        try:
            return str(stream.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise exceptions.ParseError("the CSV is not UTF-8 text") from None
