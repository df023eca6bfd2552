"""Bounded, tag-free YAML reading for every user-written file (run configs, process files).

:func:`load_yaml` parses with :class:`yaml.SafeLoader` (no Python objects) and additionally
refuses, with a :class:`~sciood.errors.ConfigError` that names the source and the fix:

* text longer than ``max_bytes`` (default 1 MiB);
* more than ``max_aliases`` alias uses (``*name``; default 1000);
* a document whose *expanded* tree — every alias counted as the copy it stands for — has more
  than ``max_nodes`` nodes (default 100 000).  A 712-byte "billion laughs" file expands to
  tens of MB; it is refused after composing its (small) node graph, before anything expands;
* nesting deeper than ``max_depth`` (default 64) levels;
* any explicit tag (``!!python/object``, ``!!binary``, ``!custom``, ...): config files hold
  plain mappings, lists, strings, numbers, booleans and nulls only;
* a key repeated in one mapping (YAML would silently keep the last one).

:func:`load_mapping_file` is the one reader of user-written files (run configs, process
files): it bounds the size on disk, requires UTF-8 without NUL characters, parses TOML or
YAML by suffix (YAML through :func:`load_yaml`) and bounds the parsed tree's depth and size.

Example
-------
>>> load_yaml("a: &x [1, 2]\\nb: *x\\n", source="example.yaml")
{'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sciood.errors import ConfigError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "check_shape",
           "load_mapping_file", "load_yaml", "read_text_bounded"]

#: Largest accepted text (characters of the decoded file).
MAX_BYTES = 1 << 20
#: Most alias uses (``*name``) in one document.
MAX_ALIASES = 1000
#: Most nodes of the expanded document (aliases counted as copies).
MAX_NODES = 100_000
#: Deepest nesting of mappings / sequences.
MAX_DEPTH = 64


class _Refused(Exception):
    """Internal: a limit was exceeded (turned into a ConfigError by :func:`load_yaml`)."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and depth while composing and forbids explicit tags."""

    max_aliases = MAX_ALIASES
    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                raise _Refused(f"more than {self.max_aliases} aliases (*name); an alias bomb? "
                               "write the values out or use fewer anchors")
        else:
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!":
                mark = event.start_mark
                tag = tag.replace("tag:yaml.org,2002:", "!!")
                raise _Refused(f"YAML tag {tag!r} at line {mark.line + 1}, column "
                               f"{mark.column + 1} is not allowed; config files hold plain "
                               "values only (mappings, lists, strings, numbers, true/false, "
                               "null): remove the tag")
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _Refused(f"nesting deeper than {self.max_depth} levels; flatten the file")
            node: Node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, MappingNode):
            _check_unique_keys(node)
        return node


def _check_unique_keys(node: MappingNode) -> None:
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        if key.value in seen:
            raise _Refused(f"key {key.value!r} appears twice in one mapping (lines "
                           f"{seen[key.value] + 1} and {key.start_mark.line + 1}); YAML would "
                           "silently keep the last one: delete one of them")
        seen[key.value] = key.start_mark.line


def _expanded_size(node: Node, limit: int) -> int:
    """Nodes of the tree with every alias expanded, computed on the shared graph.

    Memoised per node, so a bomb is measured in time linear in its *composed* size.
    """
    memo: dict[int, int] = {}
    # iterative post-order walk (no recursion limit)
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, ready = stack.pop()
        if id(current) in memo:
            continue
        children: list[Node] = []
        if isinstance(current, SequenceNode):
            children = list(current.value)
        elif isinstance(current, MappingNode):
            children = [n for pair in current.value for n in pair]
        if not ready:
            stack.append((current, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
            continue
        total = 1 + sum(memo[id(c)] for c in children)
        memo[id(current)] = min(total, limit + 1)
    return memo[id(node)]


def load_yaml(text: str, *, source: str, max_bytes: int = MAX_BYTES,
              max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES,
              max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document within bounds.

    Parameters
    ----------
    text : str
        The file contents.
    source : str
        Where the text came from (the file path), quoted in every message.
    max_bytes, max_aliases, max_nodes, max_depth : int
        Limits (see the module docstring).

    Returns
    -------
    object
        Plain Python data (dict / list / str / int / float / bool / None); ``None`` for an
        empty document.

    Raises
    ------
    ConfigError
        Invalid YAML, more than one document, or a limit exceeded; the message names
        ``source``, the problem and the fix.
    """
    if len(text) > max_bytes:
        raise ConfigError(f"{source}: {len(text)} characters is larger than the {max_bytes} "
                          "allowed for a configuration file; is this the right file?")
    loader = _BoundedLoader(text)
    loader.max_aliases = max_aliases
    loader.max_depth = max_depth
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, max_nodes)
        if size > max_nodes:
            raise _Refused(f"expands to more than {max_nodes} values (aliases counted as "
                           "copies); an alias bomb? write the values out")
        return loader.construct_document(node)
    except _Refused as exc:
        raise ConfigError(f"{source}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML (fix the syntax at the position "
                          f"shown): {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: nesting too deep to read; flatten the file") from None
    finally:
        loader.dispose()


def check_shape(data: Any, source: str, *, max_depth: int = MAX_DEPTH,
                max_nodes: int = MAX_NODES) -> None:
    """Refuse parsed data nested deeper than ``max_depth`` or with more than ``max_nodes`` values.

    Raises
    ------
    ConfigError
        Naming ``source`` and the limit.
    """
    stack = [(data, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > max_depth:
            raise ConfigError(f"{source}: refused: nesting deeper than {max_depth} levels; "
                              "flatten the file")
        if count > max_nodes:
            raise ConfigError(f"{source}: refused: more than {max_nodes} values; is this the "
                              "right file?")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def read_text_bounded(path: Path, *, kind: str = "configuration file",
                      max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a user file of at most ``max_bytes`` bytes, without NUL characters.

    Parameters
    ----------
    path : Path
    kind : str
        What the file is, for messages ("configuration file", "process file").
    max_bytes : int
        Largest size on disk, checked before reading.

    Raises
    ------
    ConfigError
        Too large, unreadable, not UTF-8 or containing NUL; the message names the fix.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(f"{path}: {size} bytes is larger than the {max_bytes} allowed "
                              f"for a {kind}; is this the right file?")
        text = path.read_bytes()[: max_bytes + 1].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save "
                          f"the {kind} as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); check the path and "
                          "its permissions") from None
    if "\x00" in text:
        raise ConfigError(f"{path}: contains a NUL character; a {kind} is plain text: "
                          "remove it (or check that this is the right file)")
    return text


def load_mapping_file(path: Path, *, kind: str = "configuration file",
                      max_bytes: int = MAX_BYTES) -> Any:
    """Read a ``.toml``, ``.yaml`` or ``.yml`` user file within every bound of this module.

    Returns
    -------
    object
        The parsed data (not yet checked to be a mapping: the caller says what it needs).

    Raises
    ------
    ConfigError
        Unknown suffix, a bound exceeded (:func:`read_text_bounded`, :func:`load_yaml`,
        :func:`check_shape`) or invalid syntax, naming the file and the fix.
    """
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(f"{path}: {kind}s must end in .toml, .yaml or .yml (got "
                          f"{suffix or 'no suffix'!r}); use .yaml, .yml or .toml")
    text = read_text_bounded(path, kind=kind, max_bytes=max_bytes)
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML (fix the syntax at the position "
                              f"shown): {exc}") from None
        except RecursionError:
            raise ConfigError(f"{path}: refused: nesting too deep to read; flatten the "
                              "file") from None
    else:
        data = load_yaml(text, source=str(path), max_bytes=max_bytes)
    check_shape(data, str(path))
    return data
