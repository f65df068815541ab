"""The gazetteer: the organisations, countries and treaties kg knows by name.

It is data, not code. Organisations and treaties live in JSONL files under
``kg/data/gazetteer/``; countries come from ``pycountry`` plus two TSV files for the names news
uses (``UK``, ``DR Congo``, ``Ivory Coast``) and for labels pycountry lacks or writes inverted.
Every file is validated on load and each problem is reported as ``FILE:LINE: what is wrong``.

Names are looked up exactly after :func:`normalise_name` (no fuzzy matching), except short
acronyms (at most 5 characters, e.g. ``WHO``, ``UN``, ``US``), which match case-sensitively
on their original form so that ``who`` and ``us`` stay words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kg.errors import RuleError
from kg.records import EntityKind

DATA_DIR = Path(__file__).parent / "data" / "gazetteer"
ORGANISATION_KINDS = frozenset(
    {
        EntityKind.INTERNATIONAL_ORGANISATION,
        EntityKind.LAW_ENFORCEMENT_AGENCY,
        EntityKind.LEGISLATIVE_BODY,
        EntityKind.ORGANISATION,
    }
)
# Each JSONL file and the kinds its entries may have.
JSONL_FILES = {
    "organisations.jsonl": ORGANISATION_KINDS,
    "treaties.jsonl": frozenset({EntityKind.TREATY}),
}
COUNTRY_ALIASES_FILE = "countries_aliases.tsv"
COUNTRY_LABELS_FILE = "countries_labels.tsv"
MAX_ACRONYM = 5

_FIELDS = ("id", "kind", "label", "acronyms", "aliases", "wikidata", "part_of")
_ID = re.compile(r"[a-z0-9]+(?:[-:][a-z0-9]+)*")
_WIKIDATA = re.compile(r"Q[1-9][0-9]*")
_ALPHA_2 = re.compile(r"[A-Z]{2}")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One known entity; ``id`` is its canonical key (``interpol``, ``country:ZW``)."""

    id: str
    kind: EntityKind
    label: str
    acronyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    part_of: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The label, acronyms and aliases, each once, label first."""
        return tuple(dict.fromkeys((self.label, *self.acronyms, *self.aliases)))


def normalise_name(name: str) -> str:
    """The form names are compared in: ``Côte d'Ivoire`` and ``the cote d ivoire`` agree.

    Casefold, strip accents, turn punctuation (hyphens included) into spaces, drop a leading
    "the" and collapse whitespace.
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    kept = (
        " " if unicodedata.category(ch).startswith("P") else ch
        for ch in folded
        if not unicodedata.combining(ch)
    )
    return _LEADING_THE.sub("", " ".join("".join(kept).split()))


def is_case_sensitive(name: str, *, acronym: bool = False) -> bool:
    """Whether a name only matches as written: a short acronym, declared or ALL-CAPS.

    Lower-casing ``WHO``, ``US`` or ``ATT`` gives an English word, so these never match
    case-insensitively.
    """
    if len(name) > MAX_ACRONYM:
        return False
    return acronym or (any(ch.isalpha() for ch in name) and not any(ch.islower() for ch in name))


def _strip_the(name: str) -> str:
    return _LEADING_THE.sub("", name.strip())


class Gazetteer:
    """Entries by key and by name; built by :func:`load_gazetteer`."""

    def __init__(self, entries: Iterable[GazetteerEntry] = ()) -> None:
        self._by_key: dict[str, GazetteerEntry] = {}
        self._exact: dict[str, str] = {}
        self._normal: dict[str, str] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: GazetteerEntry) -> None:
        """Add an entry; ValueError when its key is taken or a name already names another."""
        if entry.id in self._by_key:
            raise ValueError(f"duplicate id {entry.id!r}")
        lookups = []
        for name in entry.names:
            if is_case_sensitive(name, acronym=name in entry.acronyms):
                table, form = self._exact, _strip_the(name)
            else:
                table, form = self._normal, normalise_name(name)
            if not form:
                raise ValueError(f"{entry.id}: name {name!r} is empty once normalised")
            other = table.get(form)
            if other is not None and other != entry.id:
                raise ValueError(f"{entry.id}: name {name!r} already names {other!r}")
            lookups.append((table, form))
        self._by_key[entry.id] = entry
        for table, form in lookups:
            table[form] = entry.id

    def get(self, key: str) -> GazetteerEntry | None:
        """The entry with this canonical key."""
        return self._by_key.get(key)

    def find(self, name: str) -> GazetteerEntry | None:
        """The entry a name denotes, exactly (after normalisation), or None."""
        key = self._exact.get(_strip_the(name)) or self._normal.get(normalise_name(name))
        return self._by_key[key] if key else None

    def __iter__(self) -> Iterator[GazetteerEntry]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key


def load_gazetteer(directory: Path | None = None) -> Gazetteer:
    """Load and validate the gazetteer; the packaged one is loaded once and shared.

    Files missing from ``directory`` count as empty; the directory itself must exist.
    """
    if directory is None:
        return _default_gazetteer()
    return _load(Path(directory))


@cache
def _default_gazetteer() -> Gazetteer:
    return _load(DATA_DIR)


def _load(directory: Path) -> Gazetteer:
    if not directory.is_dir():
        raise RuleError(f"{directory}: gazetteer directory does not exist")
    gazetteer = Gazetteer()
    places: dict[str, str] = {}
    for entry, place in _country_entries(directory):
        _add(gazetteer, entry, place, places)
    for filename, kinds in JSONL_FILES.items():
        path = directory / filename
        if path.is_file():
            for entry, place in _read_jsonl(path, kinds):
                _add(gazetteer, entry, place, places)
    for entry in gazetteer:
        if entry.part_of is not None and entry.part_of not in gazetteer:
            raise RuleError(
                f"{places[entry.id]}: part_of {entry.part_of!r} is not the id of any entry"
            )
    return gazetteer


def _add(gazetteer: Gazetteer, entry: GazetteerEntry, place: str, places: dict[str, str]) -> None:
    try:
        gazetteer.add(entry)
    except ValueError as error:
        raise RuleError(f"{place}: {error}") from None
    places[entry.id] = place


def data_lines(path: Path) -> Iterator[tuple[str, str]]:
    """(``FILE:LINE``, text) for each line of a kg data file that is neither blank nor a ``#``
    comment; RuleError when the file cannot be read as UTF-8."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(f"{path}: cannot be read: {error}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield f"{path}:{number}", line


def _read_jsonl(path: Path, kinds: frozenset[EntityKind]) -> Iterator[tuple[GazetteerEntry, str]]:
    for place, line in data_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RuleError(f"{place}: not valid JSON: {error.msg}") from None
        try:
            yield _entry(record, kinds), place
        except ValueError as error:
            raise RuleError(f"{place}: {error}") from None


def _entry(record: Any, kinds: frozenset[EntityKind]) -> GazetteerEntry:
    """A validated entry from one decoded JSONL line; ValueError says what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; expected {', '.join(_FIELDS)}")
    key = record.get("id")
    if not isinstance(key, str) or not _ID.fullmatch(key):
        raise ValueError(f"id must be a lower-case slug like 'interpol', got {key!r}")
    label = record.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"{key}: label must be a non-empty string, got {label!r}")
    allowed = sorted(kinds)
    if record.get("kind") not in allowed:
        raise ValueError(
            f"{key}: kind must be one of {', '.join(allowed)}, got {record.get('kind')!r}"
        )
    wikidata = record.get("wikidata")
    if wikidata is not None and not (isinstance(wikidata, str) and _WIKIDATA.fullmatch(wikidata)):
        raise ValueError(f"{key}: wikidata must be null or a Q-id like 'Q8475', got {wikidata!r}")
    part_of = record.get("part_of")
    if part_of is not None and not isinstance(part_of, str):
        raise ValueError(f"{key}: part_of must be null or an id, got {part_of!r}")
    if part_of == key:
        raise ValueError(f"{key}: part_of names the entry itself")
    return GazetteerEntry(
        id=key,
        kind=EntityKind(record["kind"]),
        label=label,
        acronyms=_names(record, "acronyms", key),
        aliases=_names(record, "aliases", key),
        wikidata=wikidata,
        part_of=part_of,
    )


def _names(record: dict[str, Any], field: str, key: str) -> tuple[str, ...]:
    names = record.get(field, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError(f"{key}: {field} must be a list of non-empty strings, got {names!r}")
    return tuple(dict.fromkeys(names))


def _read_tsv(path: Path) -> Iterator[tuple[str, str, str]]:
    """(place, code, text) for each row of a two-column ``CODE<TAB>text`` file."""
    if not path.is_file():
        return
    for place, line in data_lines(path):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[1].strip():
            raise RuleError(f"{place}: expected 'CODE<TAB>name', got {line!r}")
        code, text = fields[0].strip(), fields[1].strip()
        if not _ALPHA_2.fullmatch(code):
            raise RuleError(f"{place}: expected a two-letter upper-case code, got {code!r}")
        yield place, code, text


def _country_entries(directory: Path) -> Iterator[tuple[GazetteerEntry, str]]:
    """Every pycountry country plus the extra labels and aliases of the two TSV files."""
    import pycountry  # only needed here; keeps `import kg.gazetteer` light

    names: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for country in pycountry.countries:
        labels[country.alpha_2] = getattr(country, "common_name", None) or country.name
        own = (
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        )
        names[country.alpha_2] = [n for n in own if n]
    places = dict.fromkeys(names, "pycountry")
    for place, code, label in _read_tsv(directory / COUNTRY_LABELS_FILE):
        labels[code] = label
        names.setdefault(code, [])
        places.setdefault(code, place)
    aliases: dict[str, list[str]] = {code: [] for code in names}
    owner = _country_name_owners(names, labels)
    for place, code, alias in _read_tsv(directory / COUNTRY_ALIASES_FILE):
        if code not in names:
            known = f"neither a pycountry alpha-2 code nor in {COUNTRY_LABELS_FILE}"
            raise RuleError(f"{place}: {code!r} is {known}")
        form = alias if is_case_sensitive(alias) else normalise_name(alias)
        if owner.setdefault(form, code) != code:
            raise RuleError(f"{place}: alias {alias!r} already names country:{owner[form]}")
        aliases[code].append(alias)
    for code in sorted(names):
        extra = aliases[code]
        yield (
            GazetteerEntry(
                id=f"country:{code}",
                kind=EntityKind.COUNTRY,
                label=labels[code],
                acronyms=tuple(dict.fromkeys(a for a in extra if is_case_sensitive(a))),
                aliases=tuple(
                    dict.fromkeys(n for n in (*names[code], *extra) if not is_case_sensitive(n))
                ),
            ),
            places[code],
        )


def _country_name_owners(names: dict[str, list[str]], labels: dict[str, str]) -> dict[str, str]:
    """Which country each pycountry name or label already belongs to, in lookup form."""
    owner: dict[str, str] = {}
    for code, own in names.items():
        for name in (labels[code], *own):
            owner.setdefault(name if is_case_sensitive(name) else normalise_name(name), code)
    return owner
