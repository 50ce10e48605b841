"""Where each part of a rendered run config came from in the file the user wrote.

Render reshapes a document before anything checks it: substitution drops the list elements whose
`provider_id` resolves to `__disabled__`, the loader drops the resources whose id resolves to null, and
layout normalization moves the later llama-stack layout (`distro_name`, `registered_resources`,
`storage.stores`) onto the canonical keys. Errors and warnings must still name the path in the file
(SPEC sections 1 and 2), so each step records here what it changed, in a form that is cheap to record and
can be replayed backwards:

- `kept`: for each list that lost elements, keyed by the list's path IN THE SOURCE FILE, the source index
  of every element that stayed, in order. Lists that lost nothing have no entry.
- `moves`: for each subtree that normalization moved or renamed, its path in the normalized document mapped
  to its path in the substituted one. The longest recorded prefix of a path wins, so a key renamed inside a
  moved item (`vector_store_id` -> `vector_db_id`) has an entry of its own.

Invariant: nothing is translated until a message needs a path. `source_path` first undoes the move (the
normalized path becomes a path in the substituted document), then walks that path from the root, replacing
each list index by its source index. A document that nothing reshaped pays two empty-dict checks per
message, and the render of a valid document pays nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stackctl.config.docpath import DocPath, format_path


@dataclass
class Origins:
    """Translates paths of a rendered (substituted, and possibly normalized) document to the source file."""

    kept: dict[DocPath, tuple[int, ...]] = field(default_factory=dict)
    moves: dict[DocPath, DocPath] = field(default_factory=dict)

    def keep(self, list_path: DocPath, positions: Iterable[int]) -> None:
        """Record that, of the list at `list_path` (its source path) as it stood, only the elements at
        `positions` stayed. Composes with an earlier step that shortened the same list."""
        before = self.kept.get(list_path)
        self.kept[list_path] = tuple(before[p] if before is not None else p for p in positions)

    def move(self, normalized: DocPath, substituted: DocPath) -> None:
        """Record that what normalization put at `normalized` stood at `substituted` before."""
        self.moves[normalized] = substituted

    def source_path(self, path: DocPath) -> DocPath:
        """The path in the source file of what is at `path` in the rendered document."""
        path = self._unmoved(path)
        if not self.kept:
            return path
        out: list[str | int] = []
        for part in path:
            indices = self.kept.get(tuple(out)) if isinstance(part, int) else None
            if indices is not None and isinstance(part, int) and 0 <= part < len(indices):
                part = indices[part]  # noqa: PLW2901 - the source index replaces the rendered one
            out.append(part)
        return tuple(out)

    def path(self, path: DocPath) -> str:
        """`source_path`, printed as `providers.inference[1].config.api_key`."""
        return format_path(self.source_path(path))

    def _unmoved(self, path: DocPath) -> DocPath:
        if self.moves:
            for length in range(len(path), 0, -1):
                origin = self.moves.get(path[:length])
                if origin is not None:
                    return (*origin, *path[length:])
        return path
