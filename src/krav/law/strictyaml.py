"""A strict reader for the law parameter files: YAML in, plain values out, every line known.

PyYAML's ordinary loaders forgive too much for legal data: an unquoted ``12.5`` becomes a float,
a repeated key silently keeps the last value, ``yes`` becomes ``True``. This reader works on the
composed node tree instead, so every mapping remembers the line of each key and value, and it
refuses floats, duplicate keys, YAML 1.1 booleans, tags and multi-document files. Errors are
:class:`LawDataError` naming ``file:line``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from krav.kernel.errors import LawDataError

_INT = re.compile(r"[-+]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TAG = "tag:yaml.org,2002:"

try:  # the C loader composes faster; both give the same nodes and marks
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


class YMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers where it, each key and each value start (1-based lines)."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]


class YList(list):  # type: ignore[type-arg]
    """A sequence that remembers where it and each item start (1-based lines)."""

    line: int
    item_lines: list[int]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def fail(where: str, line: int, message: str) -> LawDataError:
    """The one error type of the law data: ``file:line: message``."""
    return LawDataError(f"{where}:{line}: {message}")


def parse_date_text(text: str, where: str, line: int) -> date:
    """A strict ISO date (YYYY-MM-DD)."""
    if not _DATE.fullmatch(text):
        raise fail(where, line, f"ugyldig dato {text!r} (tillatt: ÅÅÅÅ-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(where, line, f"ugyldig dato {text!r} (tillatt: ÅÅÅÅ-MM-DD)") from None


def _scalar(node: yaml.ScalarNode, where: str) -> Any:
    tag, text, line = node.tag, node.value, _line(node)
    if tag == _TAG + "str":
        return text
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "float":
        raise fail(where, line, f"flyttall {text!r} er ikke tillatt; skriv tallet i anførselstegn")
    if tag == _TAG + "int":
        if not _INT.fullmatch(text):
            raise fail(where, line, f"heltall {text!r} må skrives med vanlige sifre")
        return int(text)
    if tag == _TAG + "bool":
        if text not in ("true", "false"):
            raise fail(where, line, f"{text!r} er tvetydig; skriv true eller false")
        return text == "true"
    if tag == _TAG + "timestamp":
        return parse_date_text(text, where, line)
    raise fail(where, line, f"YAML-taggen {tag!r} er ikke tillatt")


def _mapping(node: yaml.MappingNode, where: str) -> YMap:
    result = YMap()
    result.line, result.key_lines, result.value_lines = _line(node), {}, {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise fail(where, _line(key_node), "en nøkkel må være en enkel verdi")
        key = _scalar(key_node, where)
        if key in result:
            first = result.key_lines[key]
            raise fail(
                where, _line(key_node), f"nøkkelen {key!s} står to ganger (først på linje {first})"
            )
        result[key] = to_python(value_node, where)
        result.key_lines[key] = _line(key_node)
        result.value_lines[key] = _line(value_node)
    return result


def _sequence(node: yaml.SequenceNode, where: str) -> YList:
    result = YList(to_python(item, where) for item in node.value)
    result.line, result.item_lines = _line(node), [_line(item) for item in node.value]
    return result


def to_python(node: yaml.Node, where: str) -> Any:
    """A composed node as plain values (``YMap``, ``YList``, str, int, bool, date, None)."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, where)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _TAG + "map":
            raise fail(where, _line(node), f"YAML-taggen {node.tag!r} er ikke tillatt")
        return _mapping(node, where)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _TAG + "seq":
            raise fail(where, _line(node), f"YAML-taggen {node.tag!r} er ikke tillatt")
        return _sequence(node, where)
    raise fail(where, _line(node), "ukjent YAML-node")  # pragma: no cover


def read_yaml(path: Path, where: str) -> YMap:
    """Read one parameter file: exactly one YAML document whose top level is a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(where, 1, "filen er ikke UTF-8") from None
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise fail(where, line, f"ugyldig YAML: {exc.problem or exc.context}") from None
    if len(nodes) != 1:
        raise fail(where, 1, f"filen må inneholde nøyaktig ett YAML-dokument (fant {len(nodes)})")
    data = to_python(nodes[0], where)
    if not isinstance(data, YMap):
        raise fail(where, _line(nodes[0]), "toppnivået må være en mapping (nøkkel: verdi)")
    return data
