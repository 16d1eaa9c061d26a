"""One way from a config file's bytes to its typed model, with one error format.

Bytes are refused over a size limit before anything is parsed; the text must be UTF-8 and
strict JSON (no duplicate keys, no NaN, bounded nesting); the model then checks every field.
Every problem becomes a ConfigError naming file, path and value, e.g.
``remarks.json: remarks[0].text: contains a lone surrogate (U+D800) (value: '\\ud800')``.
"""

from __future__ import annotations

import codecs
import json
import re
import reprlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from danmarkskort.config.fields import PATTERN_MESSAGES, FieldError
from danmarkskort.config.models import ConfigFile
from danmarkskort.config.sources import ConfigError, ConfigSource, require

MAX_BYTES = 5 * 1024 * 1024  # the largest bundled file has 11 kB
MAX_DEPTH = 10  # the files nest four levels deep
MAX_ERRORS = 10  # listed per file; the rest are counted


def load[M: ConfigFile](
    source: ConfigSource, model: type[M], context: Mapping[str, object] | None = None
) -> M:
    """The file from the source, checked; ConfigError when it is missing or invalid."""
    return parse(require(source, model.FILE), model, context)


def load_optional[M: ConfigFile](
    source: ConfigSource, model: type[M], context: Mapping[str, object] | None = None
) -> M | None:
    """The file from the source, checked, or None when no source has it."""
    data = source.read(model.FILE)
    return None if data is None else parse(data, model, context)


def parse[M: ConfigFile](
    data: bytes, model: type[M], context: Mapping[str, object] | None = None
) -> M:
    """The file's bytes as its model; ``context`` carries what other files define."""
    doc = decode(data, model.FILE)
    try:
        return model.model_validate(doc, context=dict(context) if context is not None else None)
    except ValidationError as exc:
        raise ConfigError(describe(exc, model.FILE)) from None


# --- bytes to JSON --------------------------------------------------------------------------


class _Duplicated(dict[str, Any]):
    """A JSON object in which ``key`` appeared more than once (reported with its path)."""

    key: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    marked = _Duplicated(obj)
    marked.key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return marked


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def decode(
    data: bytes, name: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """The file's JSON document; ConfigError naming the file when it is too large, not
    UTF-8, not JSON, nested too deeply or has a key twice in one object."""
    if len(data) > max_bytes:
        raise ConfigError(
            f"{name}: the file has {len(data):,} bytes, more than the limit of {max_bytes:,}"
        )
    if data.startswith(codecs.BOM_UTF8):  # as Notepad saves it
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start})"
        ) from None
    try:
        doc = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except RecursionError:
        raise ConfigError(f"{name}: nested more than {max_depth} levels deep") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer of thousands of digits
        raise ConfigError(f"{name}: not valid JSON: {exc}") from None
    _check_tree(doc, name, max_depth)
    return doc


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_tree(doc: Any, name: str, max_depth: int = MAX_DEPTH) -> None:
    """Depth, duplicate keys and lone surrogates (a JSON escape such as \\ud800 that no
    UTF-8 output can hold), reported in document order with their path."""
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(doc, (), 1)]
    while stack:
        node, loc, depth = stack.pop()
        if isinstance(node, str):
            if found := _SURROGATE.search(node):
                message = f"contains a lone surrogate (U+{ord(found.group()):04X})"
                raise ConfigError(_line(name, loc, message))
            continue
        if isinstance(node, dict):
            children: list[tuple[str | int, Any]] = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        if depth > max_depth:
            raise ConfigError(_line(name, loc, f"nested more than {max_depth} levels deep"))
        if isinstance(node, _Duplicated):
            raise ConfigError(_line(name, loc, f"duplicate key {node.key!r}"))
        for key, _ in children:
            if isinstance(key, str) and _SURROGATE.search(key):
                raise ConfigError(_line(name, loc, f"key {key!r} contains a lone surrogate"))
        stack.extend((child, (*loc, key), depth + 1) for key, child in reversed(children))


# --- errors ---------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_VALUE = reprlib.Repr(maxlevel=2, maxstring=60, maxother=60, maxlist=4, maxdict=4)


def path(loc: tuple[str | int, ...]) -> str:
    """('mappings', 3, 'bestemmelser') → 'mappings[3].bestemmelser'; other keys as ['155']."""
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a dict key: the key itself is the path
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _line(name: str, loc: tuple[str | int, ...], message: str) -> str:
    where = path(loc)
    return f"{name}: {where}: {message}" if where else f"{name}: {message}"


def _entries(n: object) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(ctx.get("pattern", ""), f"does not match {ctx.get('pattern')}")
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return "must be a non-empty text" if n == 1 else f"must have at least {n} characters"
    messages = {
        "missing": "is missing",
        "extra_forbidden": "unknown field",
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "list_type": "must be a list",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "literal_error": f"must be {ctx.get('expected')}",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters",
        "too_short": f"must have at least {_entries(ctx.get('min_length'))}",
        "too_long": f"must have at most {_entries(ctx.get('max_length'))}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
    }
    if kind in messages:
        return messages[kind]
    msg = error["msg"].removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:]


def _describe_one(name: str, error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    value: object = error["input"]
    if isinstance(cause, FieldError):
        loc += cause.path
        message = cause.message
        show = cause.has_value or not cause.path
        value = cause.value if cause.has_value else value
    else:
        message = _message(error)
        show = error["type"] != "missing"
    text = _line(name, loc, message)
    if show and not isinstance(value, dict | BaseModel):
        text += f" (value: {_VALUE.repr(value)})"
    return text


def describe(exc: ValidationError, name: str) -> str:
    """Each problem on a line of its own: 'file: path: message (value: ...)'."""
    errors = exc.errors(include_url=False)
    lines = [_describe_one(name, e) for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append(f"{name}: and {len(errors) - MAX_ERRORS} more problems")
    return "\n".join(lines)
