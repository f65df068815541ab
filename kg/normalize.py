"""Turn the way English news writes dates and numbers into typed values.

The extractor hands these functions short spans (a spaCy DATE, CARDINAL, MONEY or QUANTITY
entity, sometimes with a few words around it); they return plain values or None and never
raise on odd text, because a span that is not a date or a count is ordinary, not an error.

Dates come back as ISO 8601 at the precision the text gives (``1980``, ``2024-09``,
``1980-11-13``). Text that leaves the year out ("2 September", "Tuesday", "last year") is
resolved against a ``reference`` date, normally the article's own date, with one rule shared
by every caller (``resolve_year``): a month without a year is the most recent such month not
after the reference month, because news reports what has happened.

The vocabularies (month and number words, currencies, hedges such as "more than") live in
``kg/data/normalize.json`` and are loaded once, on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from kg.errors import RuleError

DATA_PATH = Path(__file__).resolve().parent / "data" / "normalize.json"

_TABLES = {
    "months": dict,
    "month_abbreviations": dict,
    "weekdays": dict,
    "relative_days": dict,
    "relative_offsets": dict,
    "bare_year_range": list,
    "number_words": dict,
    "tens_words": dict,
    "hundred_words": dict,
    "scale_words": dict,
    "dozen_words": dict,
    "articles": list,
    "digit_scales": dict,
    "attached_scales": dict,
    "currency_symbols": dict,
    "currency_codes": list,
    "currency_names": dict,
    "approximate_before": list,
    "approximate_after": list,
    "percent_after": list,
    "period_openers": dict,
    "period_separators": list,
}

_JSON_NAMES = {dict: "object", list: "array"}

# Spaces news uses inside numbers ("1 006"): no-break, figure, thin and narrow no-break.
_SPACES = str.maketrans(dict.fromkeys("\u00a0\u2007\u2009\u202f", " "))
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
MAX_DIGITS = 30  # longer digit runs are identifiers or noise, not counts (and int() refuses 4300+)
_END = r"(?!\w|[.,:]\d)"  # a number ends here: no letter, digit or decimal part follows


@dataclass(frozen=True, slots=True)
class Quantity:
    """A count or an amount as stated: ``value`` is an integer, ``unit`` an ISO 4217 code for
    money (else None), ``approximate`` is True when the text hedges ("over", "nearly")."""

    value: int
    unit: str | None
    approximate: bool


# --------------------------------------------------------------------------- data


@cache
def load_tables(path: Path = DATA_PATH) -> dict[str, Any]:
    """Read the vocabularies and check that every table is there with the right shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: cannot read normalisation tables: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleError(f"{path}: expected a JSON object, got {type(data).__name__}")
    for name, kind in _TABLES.items():
        if not isinstance(data.get(name), kind):
            raise RuleError(f"{path}: '{name}' must be a JSON {_JSON_NAMES[kind]}")
    return data


def _data() -> dict[str, Any]:
    return load_tables()


def _alternation(words: Any) -> str:
    """A regex alternation of literal phrases, longest first so "more than" beats "more"."""
    phrases = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)


# --------------------------------------------------------------------------- quantities


class _Hit(NamedTuple):
    """Where a number was found, its value (None for an unscaled decimal) and its currency."""

    start: int
    end: int
    value: int | None
    unit: str | None


@cache
def _digits_regex() -> re.Pattern[str]:
    data = _data()
    prefixes = _alternation([*data["currency_symbols"], *data["currency_codes"]])
    return re.compile(
        rf"(?<![\w.,])(?:(?P<cur>{prefixes})\s?)?"
        r"(?P<int>\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)|\d+)(?:\.(?P<frac>\d+))?"
        rf"(?:\s*(?P<scale>(?i:{_alternation(data['digit_scales'])}))\b"
        rf"|(?P<attached>(?i:{_alternation(data['attached_scales'])}))\b)?" + _END
    )


@cache
def _affix_regexes() -> tuple[re.Pattern[str], ...]:
    """Percent sign, currency after the number, hedges before and after it."""
    data = _data()
    codes = _alternation(data["currency_codes"])
    names = _alternation(data["currency_names"])
    after = "|".join(rf"{re.escape(w)}(?!\w)" for w in data["approximate_after"])
    return (
        re.compile(rf"\s*(?:{_alternation(data['percent_after'])})(?!\w)", re.I),
        re.compile(rf"\s*(?:(?P<code>{codes})|(?i:(?P<name>{names})))(?!\w)"),
        re.compile(rf"(?:^|(?<=\W))(?:{_alternation(data['approximate_before'])})\s*$", re.I),
        re.compile(rf"\s*-?(?:{after})", re.I),
    )


@cache
def _number_words() -> dict[str, tuple[str, int]]:
    """Each number word with its kind (unit, tens, hundred, scale, dozen, article, and)."""
    data = _data()
    kinds = {
        "unit": data["number_words"],
        "tens": data["tens_words"],
        "hundred": data["hundred_words"],
        "scale": data["scale_words"],
        "dozen": data["dozen_words"],
    }
    vocab = {word: (kind, value) for kind, table in kinds.items() for word, value in table.items()}
    vocab.update(dict.fromkeys(data["articles"], ("article", 1)))
    vocab["and"] = ("and", 0)
    return vocab


# Which kind of word may come right after which: "twenty two", "a dozen", "three hundred
# and five", "two million five hundred thousand".
_MAY_FOLLOW: dict[str, frozenset[str | None]] = {
    "unit": frozenset({None, "tens", "hundred", "scale", "and"}),
    "tens": frozenset({None, "hundred", "scale", "and"}),
    "hundred": frozenset({"unit", "tens", "article"}),
    "scale": frozenset({"unit", "tens", "hundred", "article", "dozen"}),
    "dozen": frozenset({"unit", "tens", "article"}),
    "and": frozenset({"hundred", "scale"}),
    "article": frozenset({None}),
}
_WORD = re.compile(r"[A-Za-z]+")
_WORD_JOIN = re.compile(r"\s+|-")


def _read_words(text: str, tokens: list[re.Match[str]], first: int) -> _Hit | None:
    """Read a run of number words starting at ``tokens[first]``; None if it says no number."""
    vocab = _number_words()
    total = current = 0
    last: str | None = None
    last_scale = float("inf")
    end = None
    for i in range(first, len(tokens)):
        token = tokens[i]
        if i > first and not _WORD_JOIN.fullmatch(text[tokens[i - 1].end() : token.start()]):
            break
        kind, value = vocab.get(token.group().lower(), (None, 0))
        if kind is None or last not in _MAY_FOLLOW[kind]:
            break
        if kind == "unit" and last == "tens" and not 1 <= value <= 9:
            break
        if kind == "hundred" and current >= 100:
            break
        if kind == "scale" and value >= last_scale:
            break
        if kind in ("unit", "tens"):
            current += value
        elif kind in ("hundred", "dozen"):
            current *= value
        elif kind == "scale":
            total, current, last_scale = total + current * value, 0, value
        elif kind == "article":
            current = 1
        last = kind
        if kind not in ("article", "and"):
            end = token.end()
    if end is None:
        return None
    return _Hit(tokens[first].start(), end, total + current, None)


def _words_hit(text: str) -> _Hit | None:
    """The first number written in words ("twenty-two", "a dozen", "three million")."""
    tokens = list(_WORD.finditer(text))
    for i in range(len(tokens)):
        hit = _read_words(text, tokens, i)
        if hit is not None:
            return hit
    return None


def _digits_hit(text: str) -> _Hit | None:
    """The first number written in digits, with its currency prefix and scale word."""
    match = _digits_regex().search(text)
    if match is None:
        return None
    data = _data()
    unit = None
    if match["cur"]:
        unit = data["currency_symbols"].get(match["cur"], match["cur"])
    digits = re.sub(r"[, ]", "", match["int"])
    if len(digits) > MAX_DIGITS:
        return _Hit(match.start(), match.end(), None, unit)
    scale_word = match["scale"] or match["attached"]
    if scale_word is None:
        value = None if match["frac"] else int(digits)
        return _Hit(match.start(), match.end(), value, unit)
    scales = data["digit_scales"] if match["scale"] else data["attached_scales"]
    number = Decimal(f"{digits}.{match['frac'] or 0}") * scales[scale_word.lower()]
    value = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    return _Hit(match.start(), match.end(), value, unit)


def parse_quantity(text: str) -> Quantity | None:
    """The first count or amount in ``text``, or None.

    Reads digits with comma or space thousands separators ("1,006", "1 006"), number words
    ("twenty-two", "a dozen"), scale words ("1.2 million", "£3.5bn"), currencies before or
    after ("USD 193 million", "69 million euros") and hedges ("more than 35,000"). A
    percentage is not a count (None), and neither is a decimal that no scale word makes whole
    ("1.5" -> None).
    """
    text = text.translate(_SPACES)
    hits = [h for h in (_digits_hit(text), _words_hit(text)) if h is not None]
    if not hits:
        return None
    hit = min(hits, key=lambda h: h.start)
    percent, currency_after, hedge_before, hedge_after = _affix_regexes()
    rest = text[hit.end :]
    if hit.value is None or percent.match(rest):
        return None
    unit = hit.unit
    if unit is None and (suffix := currency_after.match(rest)):
        unit = suffix["code"] or _data()["currency_names"][" ".join(suffix["name"].lower().split())]
        rest = rest[suffix.end() :]
    approximate = bool(hedge_before.search(text[: hit.start]) or hedge_after.match(rest))
    return Quantity(hit.value, unit, approximate)


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True, slots=True)
class _Ref:
    """A reference date at the precision known."""

    year: int
    month: int | None = None
    day: int | None = None

    def as_date(self) -> date | None:
        return date(self.year, self.month, self.day) if self.month and self.day else None


_ISO_REF = re.compile(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)")


def _parse_reference(reference: str | None) -> _Ref | None:
    """Read an ISO reference date at any precision; None if absent or not a real date."""
    match = _ISO_REF.match(reference or "")
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    if not _valid(year, month, day):
        return None
    return _Ref(year, month, day)


def _valid(year: int | None, month: int | None, day: int | None) -> bool:
    """True when the parts name a real calendar year, month or day."""
    if year is None or not 1 <= year <= 9999:
        return False
    if month is None:
        return day is None
    try:
        date(year, month, day or 1)
    except ValueError:
        return False
    return True


def _iso(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}"


def _year_for_month(month: int, ref: _Ref) -> int:
    """The year of the most recent ``month`` not after the reference month."""
    return ref.year - 1 if ref.month is not None and month > ref.month else ref.year


def resolve_year(partial: str, reference: str | None) -> str:
    """Give a month or month-day without a year ("09", "09-02", or ISO "--09-02") the year
    of its most recent occurrence not after the reference month.

    Reference 2024-12 makes "09" 2024-09; reference 2024-02 makes it 2023-09; a year-only
    reference (2024) keeps its year. Raises ValueError on a malformed partial, a missing or
    malformed reference, or a day the resolved year does not have (29 February 2025).
    """
    match = re.fullmatch(r"(?:--)?(\d{2})(?:-(\d{2}))?", partial.strip())
    if match is None:
        raise ValueError(f"expected a month or month-day such as '09' or '09-02', got {partial!r}")
    ref = _parse_reference(reference)
    if ref is None:
        raise ValueError(f"expected an ISO reference date such as '2024-11-26', got {reference!r}")
    month = int(match[1])
    day = int(match[2]) if match[2] else None
    year = _year_for_month(month, ref) if 1 <= month <= 12 else ref.year
    if not _valid(year, month, day):
        raise ValueError(f"expected a real calendar month or day, got {partial!r} in {year}")
    return _iso(year, month, day)


@dataclass(frozen=True, slots=True)
class _Part:
    """One date as written: any of its parts may be missing. ``offset`` is a relative year
    ("last year" -> -1); ``kind`` says which form matched (iso, dm, md, m, y, d)."""

    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    offset: int | None = None
    abbreviated: bool = False
    raw_day: str = ""


def _month_words() -> dict[str, int]:
    data = _data()
    return {**data["month_abbreviations"], **data["months"]}


def _part_pattern(p: str, *, bare_day: bool) -> str:
    """The regex for one date as written; group names carry the prefix ``p`` so two parts
    can sit in one period pattern."""
    data = _data()
    month = rf"(?i:{_alternation(_month_words())})\b"
    weekday = rf"(?:(?i:{_alternation(data['weekdays'])})\b,?\s+)?"
    day = r"[0-3]?\d(?:st|nd|rd|th)?"
    offsets = _alternation(data["relative_offsets"])

    def tail(q: str) -> str:
        return (
            rf"(?:,?\s+(?:of\s+)?(?:(?P<{q}y>[12]\d{{3}}){_END}"
            rf"|(?P<{q}r>(?i:{offsets}))\s+(?i:year)\b))?"
        )

    forms = [
        rf"(?P<{p}iso>\d{{4}}-[01]\d(?:-[0-3]\d)?)(?!\d|-\d)",
        rf"(?P<{p}dmd>{day}){_END}(?:\s+of)?\s+(?P<{p}dmm>{month})\.?" + tail(f"{p}dm"),
        rf"(?P<{p}mdm>{month})\.?\s+(?P<{p}mdd>{day}){_END}" + tail(f"{p}md"),
        rf"(?P<{p}mm>{month})\.?" + tail(f"{p}m"),
        rf"(?P<{p}yy>[12]\d{{3}}){_END}",
    ]
    if bare_day:
        forms.append(rf"(?P<{p}dd>{day}){_END}" + tail(f"{p}d"))
    return rf"(?<![\w.,]){weekday}(?:{'|'.join(forms)})"


@cache
def _date_regex() -> re.Pattern[str]:
    return re.compile(_part_pattern("", bare_day=False))


@cache
def _period_regex() -> re.Pattern[str]:
    words = _alternation(_data()["period_separators"])
    return re.compile(
        r"(?:\b(?P<between>(?i:between))\s+|\b(?i:from)\s+)?"
        + _part_pattern("a_", bare_day=True)
        + rf"\s*(?P<sep>[{_DASHES}]|(?i:{words})\b)\s*"
        + _part_pattern("b_", bare_day=True)
    )


# The group each written form always fills, in the order the pattern tries them.
_FORM_KEYS = {"dm": "dmm", "md": "mdm", "m": "mm", "d": "dd"}


def _part(match: re.Match[str], p: str) -> _Part | None:
    """The date a part pattern matched, or None when a month name is not capitalised
    ("may", "march" are verbs) or the numbers cannot be a day."""
    groups = {k[len(p) :]: v for k, v in match.groupdict().items() if k.startswith(p) and v}
    if iso := groups.get("iso"):
        year, month, *day = (int(x) for x in iso.split("-"))
        return _Part("iso", year, month, day[0] if day else None)
    if "yy" in groups:
        return _Part("y", int(groups["yy"]))
    kind = next(k for k, key in _FORM_KEYS.items() if key in groups)
    offsets = _data()["relative_offsets"]
    year = int(groups[kind + "y"]) if kind + "y" in groups else None
    offset = offsets[groups[kind + "r"].lower()] if kind + "r" in groups else None
    month_word = groups.get(kind + "m") if kind != "d" else None
    raw_day = groups.get(kind + "d", "") if kind != "m" else ""
    day = int(re.match(r"\d+", raw_day)[0]) if raw_day else None
    month = None
    if month_word is not None:
        if not month_word[0].isupper():
            return None
        month = _month_words()[month_word.lower()]
    if day is not None and not 1 <= day <= 31:
        return None
    abbreviated = month_word is not None and month_word.lower() not in _data()["months"]
    return _Part(kind, year, month, day, offset, abbreviated, raw_day)


def _with_year(part: _Part, ref: _Ref | None) -> _Part | None:
    """Turn a relative year ("last year") into a number; None when there is no reference."""
    if part.offset is None:
        return part
    if ref is None:
        return None
    return replace(part, year=ref.year + part.offset, offset=None)


def _single(part: _Part, ref: _Ref | None) -> tuple[int, str] | None:
    """A standalone date as (rank, ISO), rank 0 the most precise; None if it is not one."""
    resolved = _with_year(part, ref)
    if resolved is None:
        return None
    year, month, day = resolved.year, resolved.month, resolved.day
    if part.kind == "y":
        low, high = _data()["bare_year_range"]
        return (4, _iso(year)) if low <= year <= high else None
    if part.abbreviated and day is None and year is None:
        return None  # "Jan" alone is more often a name than January
    explicit = year is not None
    if not explicit:
        if ref is None or month is None:
            return None
        year = _year_for_month(month, ref)
    if not _valid(year, month, day):
        return None
    rank = (0 if day else 1) if explicit else (2 if day else 3)
    return rank, _iso(year, month, day)


def _relative_date(text: str, ref: _Ref | None) -> str | None:
    """ "today", "yesterday", "Tuesday", "last Tuesday", "this year", "last month"."""
    if ref is None:
        return None
    data = _data()
    today = ref.as_date()
    days = re.search(rf"\b(?:{_alternation(data['relative_days'])})\b", text, re.I)
    if days:
        return _days_from(today, data["relative_days"][days[0].lower()])
    offsets = _alternation(data["relative_offsets"])
    weekday = re.search(
        rf"\b(?:(?P<rel>(?i:{offsets}))\s+)?(?P<day>(?i:{_alternation(data['weekdays'])}))\b", text
    )
    if weekday and weekday["day"][0].isupper():
        return _weekday(today, data["weekdays"][weekday["day"].lower()], weekday["rel"])
    span = re.search(rf"\b({offsets})\s+(year|month)\b", text, re.I)
    if span is None:
        return None
    shift = data["relative_offsets"][span[1].lower()]
    if span[2].lower() == "year":
        year, month = ref.year + shift, None
    elif ref.month is None:
        return None
    else:
        months = ref.year * 12 + ref.month - 1 + shift
        year, month = months // 12, months % 12 + 1
    return _iso(year, month) if _valid(year, month, None) else None


def _days_from(today: date | None, days: int) -> str | None:
    """``today`` moved by ``days``, or None without a day or beyond the calendar's ends."""
    if today is None:
        return None
    try:
        return (today + timedelta(days=days)).isoformat()
    except OverflowError:
        return None


def _weekday(today: date | None, weekday: int, rel: str | None) -> str | None:
    """The most recent such weekday on or before ``today``; "last" means strictly before,
    "next" the first one strictly after."""
    if today is None:
        return None
    rel = (rel or "").lower()
    if rel == "next":
        return _days_from(today, (weekday - today.weekday()) % 7 or 7)
    back = (today.weekday() - weekday) % 7
    if rel == "last":
        back = back or 7
    return _days_from(today, -back)


def _clean(text: str) -> str:
    return text.translate(_SPACES)


def parse_date(text: str, reference: str | None = None) -> str | None:
    """The date ``text`` names, as ISO 8601 at the precision given, or None.

    Reads "13 November 1980", "Nov. 13, 1980", "2024-11-27", "September 2024", "in 1984",
    "in the third quarter of 2024" (-> the year). Dates without a year ("2 September",
    "in September"), weekdays, "yesterday", "last year" need ``reference`` (ISO at any
    precision; weekdays and days need a full date). When several dates appear, the most
    precise wins. Durations ("five years", "two-month") and impossible days are None.
    """
    text = _clean(text)
    ref = _parse_reference(reference)
    best: tuple[int, str] | None = None
    for match in _date_regex().finditer(text):
        part = _part(match, "")
        found = _single(part, ref) if part else None
        if found and (best is None or found[0] < best[0]):
            best = found
    return best[1] if best else _relative_date(text, ref)


# --------------------------------------------------------------------------- periods


def _key(part: _Part) -> tuple[int, int]:
    return part.month or 0, part.day or 0


def _borrow(a: _Part, b: _Part) -> tuple[_Part, _Part] | None:
    """Give a bare day the month (and year) of the other end: "9 – 16 June", "May 27-29"."""
    if a.kind == "d" and b.kind == "d":
        return None
    if a.kind == "d":
        if b.month is None or b.day is None or a.year is not None:
            return None
        a = replace(a, kind="dm", month=b.month, year=b.year, offset=b.offset)
    if b.kind == "d":
        if a.month is None or a.day is None:
            return None
        b = replace(b, kind="dm", month=a.month)
    return a, b


def _short_year_end(a: _Part, b: _Part, sep: str) -> _Part | None:
    """ "2019–21": a two-digit end year, only after a dash that cannot be ISO's hyphen."""
    if a.kind != "y" or b.kind != "d" or sep == "-" or len(b.raw_day) != 2:
        return None
    year = a.year // 100 * 100 + int(b.raw_day)
    return _Part("y", year) if year > a.year else None


def _years(a: _Part, b: _Part, ref: _Ref | None) -> tuple[_Part, _Part] | None:
    """Fill in missing years: from the other end, else from the reference for the start
    (``resolve_year``), the end then being the first such date on or after the start."""
    if (a.kind == "y" and b.year is None) or (b.kind == "y" and a.year is None):
        return None
    if a.year is None and b.year is None:
        if ref is None or a.month is None:
            return None
        a = replace(a, year=_year_for_month(a.month, ref))
    if a.year is None:
        a = replace(a, year=b.year - (1 if _key(a) > _key(b) else 0))
    if b.year is None:
        b = replace(b, year=a.year + (1 if _key(b) < _key(a) else 0))
    return a, b


def _period(match: re.Match[str], ref: _Ref | None) -> tuple[str, str] | None:
    """Both ends of a matched "A - B" period, or None when they do not make one."""
    sep = match["sep"].lower()
    if sep == "and" and not match["between"]:
        return None  # "on 3 March and 10 April" names two days, not a period
    a, b = _part(match, "a_"), _part(match, "b_")
    if a is None or b is None:
        return None
    if short := _short_year_end(a, b, sep):
        b = short
    a, b = _with_year(a, ref), _with_year(b, ref)
    if a is None or b is None:
        return None
    for step in (_borrow, lambda x, y: _years(x, y, ref)):
        pair = step(a, b)
        if pair is None:
            return None
        a, b = pair
    low, high = _data()["bare_year_range"]
    if any(p.kind == "y" and not low <= p.year <= high for p in (a, b)):
        return None
    if not (_valid(a.year, a.month, a.day) and _valid(b.year, b.month, b.day)):
        return None
    start, end = _iso(a.year, a.month, a.day), _iso(b.year, b.month, b.day)
    common = min(len(start), len(end))
    return (start, end) if start[:common] <= end[:common] else None


def _open_period(text: str, reference: str | None) -> tuple[str | None, str | None] | None:
    """ "since March 2020" -> (start, None); "until 2024" -> (None, end)."""
    openers = _data()["period_openers"]
    match = re.search(rf"\b({_alternation(openers)})\s+", text, re.I)
    if match is None:
        return None
    found = parse_date(text[match.end() :], reference)
    if found is None:
        return None
    return (found, None) if openers[match[1].lower()] == "start" else (None, found)


def parse_period(text: str, reference: str | None = None) -> tuple[str | None, str | None] | None:
    """The (start, end) ISO dates of a period ``text`` names, or None if it names none.

    Reads "2 September - 31 October 2024", "28 June – 23 November", "from July 5 to 9",
    "May 27-29", "9 – 16 June", "between March 3 and April 10, 2023", "July-August 2023",
    "2019–2021". A missing year comes from the other end, else from ``reference``: the start
    is the most recent such date not after the reference month and the end the first on or
    after the start ("November - February" in March 2024 -> 2023-11 to 2024-02). Open
    periods give one end: "since 2019" -> ("2019", None), "until May 2024" -> (None, ...).
    """
    text = _clean(text)
    ref = _parse_reference(reference)
    regex = _period_regex()
    position = 0
    while (match := regex.search(text, position)) is not None:
        if found := _period(match, ref):
            return found
        position = match.start("sep")  # the end may start the next candidate
    return _open_period(text, reference)
