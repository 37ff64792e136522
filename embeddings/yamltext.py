"""YAML as the knowledge files use it: safe, with dates left as text, and a key
given twice refused.

PyYAML's safe loader turns ``2026-02-30`` into a call of ``datetime.date`` that
raises a bare ValueError (no file, no line), turns ``2026-01-01 10:00:00`` into
a datetime that later code took for a date, and lets a second ``title:`` in the
same front matter replace the first without a word. Here dates stay strings,
checked where a field is read (:func:`embeddings.pages._as_date`), a repeated
key is a YAML error with its line, and a document nested too deep for the
parser is a YAML error too.
"""

from __future__ import annotations

from collections.abc import Hashable

import yaml

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class Loader(yaml.SafeLoader):
    """The safe loader without timestamps, refusing a key given twice."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str) -> object:
    """The YAML document in `text` (None when empty); yaml.YAMLError when it is
    not valid, repeats a key, or nests too deep to read."""
    try:
        return yaml.load(text, Loader=Loader)
    except RecursionError as exc:
        raise yaml.YAMLError(f"nested too deep to read: {exc}") from None
