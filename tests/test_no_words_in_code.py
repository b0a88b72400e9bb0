"""The words of natural languages live in locales/<tag>/phrases.toml, not in the code.

A string in ``bot/`` or ``handlers/`` holding a CJK ideograph (U+4E00..U+9FFF)
is almost surely a Chinese word that belongs in the phrase data. Docstrings
and comments may quote Chinese; the few strings that must keep it are listed
in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from tests.conftest import ROOT

CJK = re.compile("[\u4e00-\u9fff]")
_STRINGS = {tokenize.STRING} | ({tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())

#: (file, how the string begins) -> why it stays in code
ALLOWED: dict[tuple[str, str], str] = {}
"""(file, the string's start) -> why Chinese may stand there. None now: each language's help quotes its own words."""


def _docstrings(tree: ast.AST) -> set[tuple[int, int]]:
    """Where the module, class and function docstrings start: (line, column)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add((first.lineno, first.col_offset))
    return found


def cjk_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string token with a CJK ideograph that is not a docstring."""
    docstrings = _docstrings(ast.parse(source))
    return [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type in _STRINGS and CJK.search(token.string) and token.start not in docstrings
    ]


def _code_files() -> list[Path]:
    return sorted(p for folder in ("bot", "handlers") for p in (ROOT / folder).rglob("*.py"))


def test_the_scanner_skips_docstrings_and_comments_only() -> None:
    source = (
        '"""模块."""\n'
        "class A:\n    '''类.'''\n"
        "    def f(self):\n        \"\"\"函数.\"\"\"\n        return '今天'  # 注释\n"
        "x = f\"周{1}\"\n"
        "y = \"\"\"明天\"\"\"\n"
    )
    assert [line for line, _text in cjk_strings(source)] == [6, 7, 8]


def test_no_chinese_words_in_the_code_of_bot_and_handlers() -> None:
    found, allowed_seen = [], set()
    for path in _code_files():
        name = path.relative_to(ROOT).as_posix()
        for line, text in cjk_strings(path.read_text(encoding="utf-8")):
            allowed = [entry for entry in ALLOWED if entry[0] == name and text.startswith(entry[1])]
            if allowed:
                allowed_seen.update(allowed)
            else:
                found.append(f"{name}:{line}: {text[:60]}")
    assert not found, "Chinese in code; move it to locales/zh_Hans/phrases.toml:\n" + "\n".join(found)
    assert allowed_seen == set(ALLOWED), f"stale ALLOWED entries: {set(ALLOWED) - allowed_seen}"
