"""Merging duplicates: each table (``[project]`` dependencies, or a group) holds one entry per
package and marker, merged from every line that names it.

Specifiers intersect and extras union (``specifiers.tighten`` on output); lines that cannot all
hold are a ``ConflictError`` at the line that breaks them. A group entry must hold with the main
table's (uv locks and installs a group with the project's dependencies); two groups that cannot
hold together are reported (``group-conflict``), unless both are alternative sets (``variants``:
``[tool.uv] conflicts`` keeps them apart, docs/variants.md). A group line that only restates a
``[project]`` entry is merged into it. A ``-c`` constraint must leave room for the entries it
applies to. ``share`` moves what every alternative set holds alike to ``[project]`` dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from reqconv.convert.ledger import MAIN_KEY, Ledger, table_key
from reqconv.convert.specifiers import canonical, format_requirement, satisfiable, tighten
from reqconv.errors import ConflictError, Location
from reqconv.model import Dependency, GroupItem, IncludeGroup, Req

__all__ = ["Entry", "Table", "Tables"]


@dataclass
class Entry:
    name: NormalizedName
    marker: str | None
    specifier: SpecifierSet
    extras: set[str]
    origins: list[tuple[Location, str]]
    url: str | None = None  # a PEP 508 direct reference written in the entry itself (``${VAR}``)

    def dependency(self) -> Dependency:
        if self.url is not None:
            text = self.name + (f"[{','.join(sorted(self.extras))}]" if self.extras else "")
            text += f" @ {self.url}" + (f" ; {self.marker}" if self.marker else "")
            return Dependency(name=self.name, requirement=text)
        # Only a merge is tightened: a single line keeps the specifiers it was written with.
        specifier = tighten(self.specifier) if len(self.origins) > 1 else self.specifier
        text = format_requirement(self.name, sorted(self.extras), specifier, self.marker)
        return Dependency(name=self.name, requirement=text)


@dataclass
class Table:
    group: str | None
    items: list[Entry | IncludeGroup] = field(default_factory=list)
    entries: dict[tuple[str, str | None], Entry] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return table_key(self.group)


def describe(origins: Sequence[tuple[Location, str]]) -> str:
    return ", ".join(f"{text!r} ({loc})" for loc, text in origins)


def culprit(entry: Entry, requirement: Requirement) -> list[tuple[Location, str]]:
    """The first line of ``entry`` that ``requirement`` cannot hold with."""
    culprits = [
        origin
        for origin in entry.origins
        if not satisfiable(Requirement(origin[1]).specifier & requirement.specifier)
    ]
    return (culprits or entry.origins)[:1]


@dataclass
class Tables:
    """The tables of one conversion (``None``: ``[project]`` dependencies), in first-use order."""

    ledger: Ledger
    tables: dict[str | None, Table] = field(default_factory=dict)
    variants: frozenset[str] = frozenset()  # groups that are alternative sets

    def table(self, group: str | None) -> Table:
        if group not in self.tables:
            self.tables[group] = Table(group=group)
        return self.tables[group]

    def add(self, table: Table, req: Req, url: str | None) -> None:
        """``req`` into ``table``: a new entry, or merged into the entry of its name and marker.

        ``url``: the line's ``${VAR}`` URL, written in the entry itself (``name @ URL``).
        """
        requirement = req.requirement
        name = canonicalize_name(req.name)
        marker = str(requirement.marker) if requirement.marker is not None else None
        written = canonical(requirement)
        entry = table.entries.get((name, marker))
        if entry is None and self.restates_main(table, req, name, marker, url):
            # A group line that only restates a [project] entry: uv installs a group with the
            # project's dependencies, so writing it again would say nothing.
            self.ledger.outcome(req.origin, req.text, "merged", MAIN_KEY)
            return
        if entry is None:
            self.check_other_tables(table, req, name, marker, written)
            entry = Entry(
                name=name,
                marker=marker,
                specifier=SpecifierSet(str(requirement.specifier)),
                extras={canonicalize_name(e) for e in requirement.extras},
                origins=[(req.origin, written)],
                url=url,
            )
            table.entries[(name, marker)] = entry
            table.items.append(entry)
            if req.source is None or url is not None:
                # A ${VAR} URL is the entry itself: `name @ URL` in the table.
                self.ledger.outcome(req.origin, req.text, "converted", table.key)
            else:
                # The name goes to the table; what the line is about, the URL, to the source.
                self.ledger.outcome(req.origin, req.text, "mapped", f"tool.uv.sources.{name}")
            return
        merged = entry.specifier & requirement.specifier
        if not satisfiable(merged):
            against = culprit(entry, requirement)
            raise ConflictError(
                f"conflicting requirements for {name}: {describe(against)} "
                f"and {written!r} ({req.origin}) cannot both hold; keep one",
                req.origin,
                other=against[0][0],
            )
        entry.specifier = SpecifierSet(str(merged))
        entry.url = entry.url or url
        entry.extras |= {canonicalize_name(e) for e in requirement.extras}
        entry.origins.append((req.origin, written))
        self.ledger.outcome(req.origin, req.text, "merged", table.key)

    def restates_main(
        self, table: Table, req: Req, name: NormalizedName, marker: str | None, url: str | None
    ) -> bool:
        """A group entry with the name, specifiers and marker of a [project] entry (its extras
        among the entry's), and no source of its own."""
        main = self.tables.get(None)
        if table.group is None or main is None or req.options:
            return False
        entry = main.entries.get((name, marker))
        if entry is None or entry.url != url or (req.source is not None and url is None):
            return False
        extras = {canonicalize_name(e) for e in req.requirement.extras}
        return entry.specifier == req.requirement.specifier and extras <= entry.extras

    def check_other_tables(
        self, table: Table, req: Req, name: NormalizedName, marker: str | None, written: str
    ) -> None:
        """A group entry must hold with the main table (uv locks and installs them together)."""
        requirement = req.requirement
        if table.group is None or not satisfiable(requirement.specifier):
            return  # a line that cannot hold by itself is written as it is
        main = self.tables.get(None)
        entry = main.entries.get((name, marker)) if main is not None else None
        if (
            entry is not None
            and satisfiable(entry.specifier)
            and not satisfiable(entry.specifier & requirement.specifier)
        ):
            against = culprit(entry, requirement)
            raise ConflictError(
                f"conflicting requirements for {name}: {describe(against)} "
                f"in [project] dependencies and {written!r} ({req.origin}) in group "
                f"{table.group!r} cannot both hold (uv installs a group with the project's "
                "dependencies, and locks them together); keep one",
                req.origin,
                other=against[0][0],
            )
        for other in self.tables.values():
            if other.group is None or other is table:
                continue
            if other.group in self.variants and table.group in self.variants:
                continue  # alternative sets: [tool.uv] conflicts keeps them apart
            entry = other.entries.get((name, marker))
            if (
                entry is None
                or not satisfiable(entry.specifier)
                or satisfiable(entry.specifier & requirement.specifier)
            ):
                continue
            pair = " }, { ".join(f'group = "{g}"' for g in sorted((other.group, table.group)))
            self.ledger.report(
                "group-conflict",
                f"{written!r} in group {table.group!r} and "
                f"{describe(culprit(entry, requirement))} in group {other.group!r} cannot both "
                "hold, and uv locks every group together: align them, or declare the groups "
                f"apart in pyproject.toml: [tool.uv] conflicts = [[{{ {pair} }}]]",
                req.origin,
            )
            return

    def check_constraints(self, constraint_lines: Sequence[Req]) -> None:
        """A constraint must leave room for the requirements it applies to (uv lock would fail)."""
        if not constraint_lines:
            return
        by_name: dict[str, list[tuple[Table, Entry]]] = {}
        for table in self.tables.values():
            for (name, _), entry in table.entries.items():
                by_name.setdefault(name, []).append((table, entry))
        for line in constraint_lines:
            constraint = line.requirement
            marker = str(constraint.marker) if constraint.marker is not None else None
            if not satisfiable(constraint.specifier):
                continue
            for table, entry in by_name.get(line.name, []):
                if marker is not None and marker != entry.marker:
                    continue  # applies elsewhere; not judged
                if satisfiable(entry.specifier) and not satisfiable(
                    entry.specifier & constraint.specifier
                ):
                    where = (
                        "[project] dependencies"
                        if table.group is None
                        else f"group {table.group!r}"
                    )
                    raise ConflictError(
                        f"conflicting requirements for {line.name}: "
                        f"{describe(culprit(entry, constraint))} in {where} and the constraint "
                        f"{canonical(constraint)!r} ({line.origin}) cannot both hold; keep one",
                        line.origin,
                    )

    def share(self) -> dict[Location, str]:
        """Move each entry every alternative set holds alike (same name, marker, specifiers,
        extras and URL) to ``[project]`` dependencies, in the first set's order; an entry the
        main table already holds stays in the sets. Returns each moved line's old table key."""
        sets = [self.tables[g] for g in sorted(self.variants) if g in self.tables]
        if len(sets) < 2:
            return {}
        main = self.table(None)
        moved: dict[Location, str] = {}
        first, *rest = sets
        for item in list(first.items):
            if not isinstance(item, Entry):
                continue
            key = (item.name, item.marker)
            if key in main.entries:
                continue
            alike = [other.entries.get(key) for other in rest]
            if not all(
                other is not None
                and other.specifier == item.specifier
                and other.extras == item.extras
                and other.url == item.url
                for other in alike
            ):
                continue
            for table in sets:
                entry = table.entries.pop(key)
                table.items.remove(entry)
                for location, _ in entry.origins:
                    moved[location] = table.key
                if entry is not item:
                    item.origins.extend(entry.origins)
            main.entries[key] = item
            main.items.append(item)
        return moved

    def dependencies(self) -> tuple[Dependency, ...]:
        """``[project]`` dependencies, in first-use order."""
        main = self.tables.get(None)
        return tuple(
            item.dependency() for item in (main.items if main else []) if isinstance(item, Entry)
        )

    def groups(self) -> tuple[tuple[str, tuple[GroupItem, ...]], ...]:
        """Each group's entries and includes of other groups, in first-use order."""
        groups: list[tuple[str, tuple[GroupItem, ...]]] = []
        for group, table in self.tables.items():
            if group is None:
                continue
            items: tuple[GroupItem, ...] = tuple(
                item.dependency() if isinstance(item, Entry) else item for item in table.items
            )
            groups.append((group, items))
        return tuple(groups)
