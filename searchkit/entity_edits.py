"""The user's corrections to the entity table: merge, rename, split, retype, drop.

The entity stage will always be wrong somewhere, and a researcher who knows that "Mutu" is
Adrian Mutu or that "Revs" is no person should not have to wait for a better model. Their
corrections live in one readable file in the index folder, ``entity_edits.tsv``, one edit a
line, tab-separated, applied in order on top of the table ingest builds, at query time: no
NER is re-run, a re-ingest keeps them (they name entities, not documents), and the file can
be edited by hand, kept under version control and copied to another index.

    # searchkit entity edits: ACTION<TAB>TYPE<TAB>ENTITY[<TAB>ARGUMENT]
    merge	person	Adrian Mutu	Mutu          # "Mutu" joins "Adrian Mutu"
    rename	org	EU	European Union
    split	person	George W Bush	Bush      # the stored value "Bush" becomes its own entity
    retype	person	Chelsea	org
    drop	person	Revs                      # never shown

Entities are found as filters find them: by any alias, case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .entity_table import EntityTable, _Group
from .errors import QuerySyntax
from .names import name_key
from .results import FACETS
from .store.folder import ENTITY_EDITS

EDITS_FILE = ENTITY_EDITS
ACTIONS = {"merge": 1, "rename": 1, "split": 1, "retype": 1, "drop": 0}
"""Each action and how many arguments it takes after the entity."""
HEADER = "# searchkit entity edits: ACTION<TAB>TYPE<TAB>ENTITY[<TAB>ARGUMENT]; applied in order at query time\n"


@dataclass(frozen=True)
class Edit:
    """One correction: ``action`` on the entity ``entity`` of ``facet``."""

    action: str
    facet: str
    entity: str
    argument: str | None = None

    def to_line(self) -> str:
        return "\t".join([self.action, self.facet, self.entity, *([self.argument] if self.argument else [])])

    def describe(self) -> str:
        what = {"merge": f"{self.argument!r} joins {self.entity!r}", "rename": f"{self.entity!r} is named {self.argument!r}",
                "split": f"{self.argument!r} leaves {self.entity!r}", "retype": f"{self.entity!r} becomes {self.argument}",
                "drop": f"{self.entity!r} is never shown"}[self.action]
        return f"{self.action} {self.facet}: {what}"


def make_edit(action: str, facet: str, entity: str, argument: str | None = None) -> Edit:
    """A checked :class:`Edit`; a malformed one is a :class:`QuerySyntax` error."""
    if action not in ACTIONS:
        raise QuerySyntax(f"unknown entity edit {action!r}; use one of {', '.join(ACTIONS)}")
    if facet not in FACETS:
        raise QuerySyntax(f"unknown entity type {facet!r}; use one of {', '.join(FACETS)}")
    if not entity.strip():
        raise QuerySyntax(f"{action}: the entity is empty")
    if ACTIONS[action] and not (argument and argument.strip()):
        raise QuerySyntax(f"{action} needs a second name (or, for retype, a type)")
    if action == "retype" and argument not in FACETS:
        raise QuerySyntax(f"retype: unknown entity type {argument!r}; use one of {', '.join(FACETS)}")
    return Edit(action, facet, entity.strip(), argument.strip() if ACTIONS[action] and argument else None)


def parse_edits(text: str, source: str = EDITS_FILE) -> list[Edit]:
    """The edits of a file's text; a bad line is an error naming the line."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].rstrip() if line.lstrip().startswith("#") else line.rstrip()
        if not body.strip():
            continue
        parts = [p.strip() for p in body.split("\t")]
        try:
            out.append(make_edit(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "",
                                 parts[3] if len(parts) > 3 else None))
        except QuerySyntax as e:
            raise QuerySyntax(f"{source}:{n}: {e}", hint="fields are separated by tabs") from e
    return out


def read_edits(index_dir: Path) -> list[Edit]:
    path = index_dir / EDITS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return parse_edits(text, str(path))


def write_edits(index_dir: Path, edits: Sequence[Edit]) -> None:
    """Write the file whole (through a temporary file, so a reader never sees half of it)."""
    path = index_dir / EDITS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + "".join(e.to_line() + "\n" for e in edits), encoding="utf-8")
    tmp.replace(path)


def _find(groups: dict[str, list[_Group]], facet: str, name: str) -> _Group | None:
    key = name_key(name)
    exact = [g for g in groups.get(facet, []) if name_key(g.name) == key]
    if exact:
        return exact[0]
    return next((g for g in groups.get(facet, []) if key in g.keys), None)


def apply_edits(table: EntityTable, edits: Iterable[Edit]) -> EntityTable:
    """A new table with the edits applied in order; an edit naming no entity does nothing
    (the entity may come back with a later ingest)."""
    groups = {f: [_Group(g.name, dict(g.values), set(g.keys), g.shared) for g in gs] for f, gs in table._groups.items()}
    dropped = set(table._dropped)
    for e in edits:
        target = _find(groups, e.facet, e.entity)
        if target is None:
            continue
        facet_groups = groups.setdefault(e.facet, [])
        if e.action == "drop":
            facet_groups.remove(target)
            dropped |= set(target.values)
        elif e.action == "rename":
            target.name = e.argument or target.name
            target.keys = set(target.keys) | {name_key(target.name)}
            target.shared = False  # the user named it: an entity of its own
        elif e.action == "merge":
            other = _find(groups, e.facet, e.argument or "")
            if other is not None and other is not target:
                facet_groups.remove(other)
                target.values.update(other.values)
                target.keys = set(target.keys) | set(other.keys)
        elif e.action == "split":
            key = name_key(e.argument or "")
            moving = {m: c for m, c in target.values.items() if name_key(m[1]) == key}
            if moving and len(moving) < len(target.values):
                for m in moving:
                    del target.values[m]
                target.keys = {name_key(m[1]) for m in target.values} | {name_key(target.name)}
                facet_groups.append(_Group(next(iter(moving))[1], moving, {key}))
        elif e.action == "retype" and e.argument and e.argument != e.facet:
            facet_groups.remove(target)
            same = _find(groups, e.argument, target.name)
            if same is not None:
                same.values.update(target.values)
                same.keys = set(same.keys) | set(target.keys)
            else:
                groups.setdefault(e.argument, []).append(target)
    return EntityTable(groups, dropped)
