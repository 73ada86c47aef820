"""A YAML file read safely, with the line of every list item and field, for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.services.faq.markup import check_html

MAX_FILE_BYTES = 2_000_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported, not raised."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlFile:
    """`data` is None when the file is empty or unreadable (a problem says which)."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        """`text`, when given, is the file's content (`path` only names it in messages)."""
        self.path = path
        self.data: Any = None
        self.found: list[tuple[int, str]] = []
        # (top-level key, index) → (line of the item, {field: (line, is a block scalar)})
        self.lines: dict[tuple[str, int], tuple[int, dict[str, tuple[int, bool]]]] = {}
        try:
            raw = (path.read_bytes() if text is None else text.encode())[: MAX_FILE_BYTES + 1]
            if len(raw) > MAX_FILE_BYTES:
                self.problem(f"larger than {MAX_FILE_BYTES} bytes")
                return
            text = raw.decode("utf-8-sig")
            node = yaml.compose(text, Loader=_Loader)
            self.data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
        except OSError as exc:
            self.problem(f"cannot read: {exc.strerror or exc}")
        except UnicodeDecodeError:
            self.problem("not UTF-8 text")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(f"not valid YAML: {reason}", mark.line + 1 if mark else 0)
        except (ValueError, RecursionError) as exc:
            self.problem(f"not valid YAML: {exc}")
        else:
            if self.data is None:
                self.problem("the file is empty")
            self._index(node)

    def _index(self, node: Any) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            if not isinstance(value, yaml.SequenceNode):
                continue
            for i, item in enumerate(value.value):
                fields = {}
                if isinstance(item, yaml.MappingNode):
                    fields = {str(k.value): (v.start_mark.line + 1,
                                             getattr(v, "style", None) in ("|", ">"))
                              for k, v in item.value}
                self.lines[(str(key.value), i)] = (item.start_mark.line + 1, fields)

    def problem(self, message: str, line: int = 0, what: str = "") -> None:
        self.found.append((line, f"{what + ': ' if what else ''}{message}"))

    def problems(self) -> list[str]:
        """Every problem as `file:line: …`, in the order of the file."""
        return [f"{self.path}:{line}: {m}" if line else f"{self.path}: {m}"
                for line, m in sorted(self.found, key=lambda p: p[0])]

    def items(self, key: str) -> list[tuple[int, Any]]:
        data = self.data if isinstance(self.data, dict) else {}
        value = data.get(key)
        if value is None:
            if isinstance(self.data, dict):
                self.problem(f"`{key}:` is missing or empty")
            return []
        if not isinstance(value, list):
            self.problem(f"`{key}:` must be a list")
            return []
        return list(enumerate(value))

    def line(self, key: str, index: int, name: str | None = None) -> int:
        line, fields = self.lines.get((key, index), (0, {}))
        return fields.get(name, (line, False))[0] if name else line

    def check_html(self, key: str, index: int, name: str, value: str, what: str) -> None:
        line, block = self.lines.get((key, index), (0, {}))[1].get(name, (0, False))
        for html_line, message in check_html(value):
            # A block scalar (`answer: |`) starts on the line after its key.
            at = line + html_line - (0 if block else 1) if line else 0
            self.problem(f"{name}: {message}", at, what)
