"""How the JSON API reads a request: JSON bodies only, and no NUL characters anywhere.

config/api.py turns these errors into the API's error body (415, 400).
"""

from django.core.validators import ProhibitNullCharactersValidator
from ninja.parser import Parser


class UnsupportedMediaType(Exception):
    """A request body that is not declared as JSON."""


class NullCharacter(Exception):
    """NUL characters in values: PostgreSQL cannot store one, so they are refused before any
    query, as Django's own form fields refuse them. ``fields`` names every value that holds one."""

    message = ProhibitNullCharactersValidator.message

    def __init__(self, fields):
        self.fields = [field or "__all__" for field in fields]
        super().__init__(", ".join(self.fields))


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def null_character_fields(data) -> list[str]:
    """The dotted paths of the strings (or the objects whose keys) in ``data`` that hold a NUL."""
    found, pending = [], [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path)
        elif isinstance(value, dict):
            if any("\x00" in str(key) for key in value):
                found.append(path)
            pending.extend((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


class JsonParser(Parser):
    """Bodies are read as JSON only when they say they are JSON (``application/json``
    or a ``+json`` type): a form or text body that happens to parse is still refused."""

    def parse_body(self, request):
        if not is_json(request.content_type or ""):
            raise UnsupportedMediaType(request.content_type)
        data = super().parse_body(request)
        if fields := null_character_fields(data):
            raise NullCharacter(fields)
        return data

    def parse_querydict(self, data, list_fields, request):
        if fields := [key for key, values in data.lists() if any("\x00" in text for text in [key, *values])]:
            raise NullCharacter(sorted(key.replace("\x00", "") for key in fields))
        return super().parse_querydict(data, list_fields, request)
