"""An offline evaluator for the part of CloudWatch Logs' JSON filter pattern syntax the alarm
filters use, so the tests can check the patterns against lines the app's own code writes.

Supported: ``{ <expr> }`` where an expression is comparisons joined by ``&&`` or ``||`` (never
both at one level without parentheses, so no precedence question arises), and a comparison is
``$.field = "text"``, ``$.field != "text"``, ``$.field <op> number`` (``= != < <= > >=``) or
``$.field IS NULL``. As in CloudWatch: a line that is not a JSON object matches nothing, a missing
field fails every comparison (``IS NULL`` needs the field present with a JSON null), a string
compares only with a string and a number only with a number. Wildcards and nested selectors are
refused (the contract does not use them). CloudWatch's own matcher checks the same sample lines in
``make status`` (TestMetricFilter), which needs an AWS account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) | (?P<and>&&) | (?P<or>\|\|)
      | (?P<selector>\$\.[A-Za-z_][A-Za-z0-9_]*)
      | (?P<isnull>IS\s+NULL)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<string>"[^"*]*")
      | (?P<number>-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)


class PatternError(ValueError):
    pass


def _tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read the pattern at {body[pos:]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise PatternError(f"expected {kind} at token {self.i}, found {self.peek()}")
        value = self.tokens[self.i][1]
        self.i += 1
        return value

    def expression(self) -> Predicate:
        terms = [self.term()]
        joiner = None
        while self.peek() in ("and", "or"):
            kind = self.take(self.peek() or "")
            kind = "and" if kind == "&&" else "or"
            if joiner is not None and kind != joiner:
                raise PatternError("&& and || mixed at one level: add parentheses")
            joiner = kind
            terms.append(self.term())
        if joiner == "or":
            return lambda fields: any(t(fields) for t in terms)
        return lambda fields: all(t(fields) for t in terms)

    def term(self) -> Predicate:
        if self.peek() == "open":
            self.take("open")
            inner = self.expression()
            self.take("close")
            return inner
        name = self.take("selector")[2:]
        if self.peek() == "isnull":
            self.take("isnull")
            return lambda fields: name in fields and fields[name] is None
        op = self.take("op")
        if self.peek() == "string":
            if op not in ("=", "!="):
                raise PatternError(f"{op} needs a number")
            text = self.take("string")[1:-1]
            if op == "=":
                return lambda fields: isinstance(fields.get(name), str) and fields[name] == text
            return lambda fields: isinstance(fields.get(name), str) and fields[name] != text
        number = float(self.take("number"))
        compare: dict[str, Callable[[float], bool]] = {
            "=": lambda v: v == number,
            "!=": lambda v: v != number,
            "<": lambda v: v < number,
            "<=": lambda v: v <= number,
            ">": lambda v: v > number,
            ">=": lambda v: v >= number,
        }
        check = compare[op]

        def numeric(fields: dict[str, Any]) -> bool:
            value = fields.get(name)
            return isinstance(value, int | float) and not isinstance(value, bool) and check(float(value))

        return numeric


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A function telling whether one log line matches ``pattern``."""
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise PatternError("a JSON filter pattern is wrapped in { }")
    parser = _Parser(_tokens(text[1:-1]))
    predicate = parser.expression()
    if parser.peek() is not None:
        raise PatternError(f"unexpected {parser.peek()} at token {parser.i}")

    def matches(line: str) -> bool:
        try:
            fields = json.loads(line)
        except ValueError:
            return False
        return isinstance(fields, dict) and predicate(fields)

    return matches
