"""Tests for kg.normalize: counts, amounts, dates and periods as English news writes them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.errors import RuleError
from kg.normalize import (
    DATA_PATH,
    Quantity,
    load_tables,
    parse_date,
    parse_period,
    parse_quantity,
    resolve_year,
)

ISO = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def is_valid_iso(value: str) -> bool:
    """True for an ISO 8601 year, year-month or real calendar day."""
    if not ISO.fullmatch(value):
        return False
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 006", 1006),
        ("1\u00a0006", 1006),
        ("1\u2009006", 1006),
        ("1\u202f006", 1006),
        ("12 500 000", 12500000),
        ("1,006", 1006),
        ("134,089", 134089),
        ("1000", 1000),
        ("2024", 2024),
        ("0", 0),
        ("police seized 4,210 phones", 4210),
    ],
)
def test_digits_with_thousands_separators_parse_exactly(text: str, value: int) -> None:
    assert parse_quantity(text) == Quantity(value, None, False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("one", 1),
        ("six", 6),
        ("three", 3),
        ("eleven", 11),
        ("twenty-two", 22),
        ("twenty two", 22),
        ("ninety-nine", 99),
        ("forty", 40),
        ("a dozen", 12),
        ("two dozen", 24),
        ("a hundred", 100),
        ("one hundred and five", 105),
        ("three hundred twenty-one", 321),
        ("fifteen hundred", 1500),
        ("a thousand", 1000),
        ("four thousand", 4000),
        ("two million five hundred thousand", 2500000),
        ("Seven suspects were held", 7),
    ],
)
def test_number_words_parse_to_their_value(text: str, value: int) -> None:
    assert parse_quantity(text) == Quantity(value, None, False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("three and four", 3),
        ("twenty twelve", 20),
        ("one hundred and the rest", 100),
        ("two-month", 2),
    ],
)
def test_number_words_stop_where_the_number_ends(text: str, value: int) -> None:
    assert parse_quantity(text) == Quantity(value, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USD 193 million", Quantity(193000000, "USD", False)),
        ("USD193m", Quantity(193000000, "USD", False)),
        ("$192 million", Quantity(192000000, "USD", False)),
        ("US$5 million", Quantity(5000000, "USD", False)),
        ("€1.2 million", Quantity(1200000, "EUR", False)),
        ("€ 40,000", Quantity(40000, "EUR", False)),
        ("69 million Euros", Quantity(69000000, "EUR", False)),
        ("5 million USD", Quantity(5000000, "USD", False)),
        ("7,500 US dollars", Quantity(7500, "USD", False)),
        ("£3.5bn", Quantity(3500000000, "GBP", False)),
        ("£250m", Quantity(250000000, "GBP", False)),
        ("2.5 billion", Quantity(2500000000, None, False)),
        ("1.25 thousand", Quantity(1250, None, False)),
        ("USD 129,975,440", Quantity(129975440, "USD", False)),
        ("KES 3 million", Quantity(3000000, "KES", False)),
        ("two million dollars", Quantity(2000000, "USD", False)),
        ("over $1 million", Quantity(1000000, "USD", True)),
    ],
)
def test_money_gets_its_iso_currency_and_scale(text: str, expected: Quantity) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("over 20,000", 20000),
        ("more than 35,000", 35000),
        ("nearly 50,068", 50068),
        ("almost 400", 400),
        ("at least 75", 75),
        ("some 500,000", 500000),
        ("no fewer than 12,000", 12000),
        ("around 1,000", 1000),
        ("about 30", 30),
        ("greater than 90", 90),
        ("an estimated 2,000", 2000),
        ("more than a dozen", 12),
        ("some three hundred", 300),
        ("1,000+", 1000),
        ("40-odd", 40),
        ("500 or more", 500),
    ],
)
def test_hedged_numbers_are_approximate(text: str, value: int) -> None:
    assert parse_quantity(text) == Quantity(value, None, True)


def test_some_not_right_before_the_number_is_not_a_hedge() -> None:
    assert parse_quantity("some of the 300 suspects") == Quantity(300, None, False)


@pytest.mark.parametrize(
    "text",
    [
        "75 per cent",
        "75 percent",
        "12%",
        "three per cent",
        "1.5",
        "0.75",
        "1,000.50",
        "no number here",
        "",
        "thousands of victims",
        "dozens",
        "hundreds",
        "a",
        "the 1st",
        "1990s",
        "1,2 million",
        "1" * 5000,
    ],
)
def test_non_counts_are_none(text: str) -> None:
    assert parse_quantity(text) is None


def test_the_first_number_wins() -> None:
    assert parse_quantity("14 suspects in 3 countries") == Quantity(14, None, False)


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from([",", " ", "\u00a0", "\u2009"]))
def test_any_integer_with_thousands_separators_parses_back(number: int, sep: str) -> None:
    assert parse_quantity(f"{number:,}".replace(",", sep)) == Quantity(number, None, False)


UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
UNITS += " fifteen sixteen seventeen eighteen nineteen"
TENS = "twenty thirty forty fifty sixty seventy eighty ninety"


def spell(number: int) -> str:
    """English words for 0 <= number < 1,000,000 (the writer the parser should read back)."""
    units, tens = UNITS.split(), TENS.split()
    if number < 20:
        return units[number]
    if number < 100:
        rest = number % 10
        return tens[number // 10 - 2] + (f"-{units[rest]}" if rest else "")
    if number < 1000:
        rest = number % 100
        return f"{units[number // 100]} hundred" + (f" and {spell(rest)}" if rest else "")
    rest = number % 1000
    return f"{spell(number // 1000)} thousand" + (f" {spell(rest)}" if rest else "")


@given(st.integers(min_value=0, max_value=999_999))
def test_any_spelled_out_number_parses_back(number: int) -> None:
    assert parse_quantity(spell(number)) == Quantity(number, None, False)


@given(st.text())
def test_parse_quantity_never_raises_on_random_text(text: str) -> None:
    result = parse_quantity(text)
    assert result is None or (isinstance(result.value, int) and result.value >= 0)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 13, 1980", "1980-11-13"),
        ("13 November 1980", "1980-11-13"),
        ("Nov. 13, 1980", "1980-11-13"),
        ("Nov 13 1980", "1980-11-13"),
        ("13 Nov 1980", "1980-11-13"),
        ("13th of November 1980", "1980-11-13"),
        ("November 13th, 1980", "1980-11-13"),
        ("Thursday, 13 November 1980", "1980-11-13"),
        ("2 April 2014", "2014-04-02"),
        ("2024-11-27", "2024-11-27"),
        ("2024-11-27T08:30:00Z", "2024-11-27"),
        ("2024-09", "2024-09"),
        ("1980", "1980"),
        ("in 1984", "1984"),
        ("September 2024", "2024-09"),
        ("Sept. 2024", "2024-09"),
        ("September of 2024", "2024-09"),
        ("MAY 2021", "2021-05"),
        ("the end of November 2023", "2023-11"),
        ("in the third quarter of 2024", "2024"),
        ("mid-2023", "2023"),
        ("early 2019", "2019"),
        ("29 February 2024", "2024-02-29"),
    ],
)
def test_dates_with_a_year_need_no_reference(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("in September", "2024-12", "2024-09"),
        ("September", "2024-12-31", "2024-09"),
        ("September", "2024-09-01", "2024-09"),
        ("September", "2024-02", "2023-09"),
        ("September", "2024", "2024-09"),
        ("2 September", "2024-11-26", "2024-09-02"),
        ("2 September", "2024-03-26", "2023-09-02"),
        ("on 20 June", "2024-07-02", "2024-06-20"),
        ("June 20", "2024-07-02", "2024-06-20"),
        ("Jan 5", "2024-05", "2024-01-05"),
        ("September last year", "2024-05", "2023-09"),
        ("5 March this year", "2024-05-30", "2024-03-05"),
    ],
)
def test_month_without_a_year_takes_the_latest_year_not_after_the_reference(
    text: str, reference: str, expected: str
) -> None:
    assert parse_date(text, reference) == expected


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("Sunday", "2024-11-26", "2024-11-24"),
        ("on Tuesday", "2024-11-26", "2024-11-26"),
        ("Thursday", "2024-11-26", "2024-11-21"),
        ("Wednesday", "2024-01-01", "2023-12-27"),
        ("last Tuesday", "2024-11-26", "2024-11-19"),
        ("next Tuesday", "2024-11-26", "2024-12-03"),
        ("today", "2024-11-26", "2024-11-26"),
        ("yesterday", "2024-03-01", "2024-02-29"),
        ("tomorrow", "2024-12-31", "2025-01-01"),
        ("last year", "2024-05", "2023"),
        ("this year", "2024", "2024"),
        ("earlier this year", "2024-05-06", "2024"),
        ("last month", "2024-01-05", "2023-12"),
        ("this month", "2024-01-05", "2024-01"),
    ],
)
def test_relative_dates_resolve_against_the_reference(
    text: str, reference: str, expected: str
) -> None:
    assert parse_date(text, reference) == expected


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("September", None),
        ("2 September", None),
        ("Tuesday", "2024-11"),
        ("Tuesday", None),
        ("today", "2024"),
        ("yesterday", None),
        ("last month", "2024"),
        ("last year", None),
        ("September", "not a date"),
        ("September", "2024-13"),
    ],
)
def test_dates_needing_a_missing_or_coarse_reference_are_none(
    text: str, reference: str | None
) -> None:
    assert parse_date(text, reference) is None


@pytest.mark.parametrize(
    "text",
    [
        "five years",
        "two-month",
        "the past 10 years",
        "decade",
        "the 1990s",
        "1500 arrests",
        "2,024",
        "30 February 2024",
        "29 February 2023",
        "31 April 2020",
        "police may arrest them",
        "they march on",
        "Jan",
        "this week",
        "",
    ],
)
def test_non_dates_and_impossible_days_are_none(text: str) -> None:
    assert parse_date(text, "2024-06-15") is None


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("tomorrow", "9999-12-31"),
        ("Sunday", "0001-01-01"),
        ("next year", "9999"),
        ("last month", "0001-01"),
    ],
)
def test_relative_dates_past_the_ends_of_the_calendar_are_none(text: str, reference: str) -> None:
    assert parse_date(text, reference) is None


def test_a_day_the_resolved_year_lacks_is_none() -> None:
    assert parse_date("29 February", "2025-03-10") is None


def test_the_most_precise_date_wins() -> None:
    assert parse_date("in 2023, on 4 May 2023", "2024-01-01") == "2023-05-04"


DATE_FORMATS = [
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{MONTHS[d.month - 1][:3]}. {d.day}, {d.year}",
    lambda d: f"on {d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: d.isoformat(),
]


@given(
    st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31)),
    st.sampled_from(DATE_FORMATS),
)
def test_any_written_calendar_date_parses_to_its_iso_form(day: date, write) -> None:
    assert parse_date(write(day)) == day.isoformat()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 6))
def test_weekday_is_the_latest_such_day_on_or_before_the_reference(ref: date, back: int) -> None:
    target = ref - timedelta(days=back)
    assert parse_date(f"on {target.strftime('%A')}", ref.isoformat()) == target.isoformat()


DATE_TOKENS = [
    "13",
    "1",
    "31",
    "2024",
    "1980",
    "November",
    "May",
    "may",
    "Sept.",
    "Jan",
    "of",
    "last",
    "year",
    "this",
    "month",
    "Tuesday",
    "today",
    "-",
    "–",
    "to",
    "and",
    "between",
    "from",
    "since",
    "until",
    ",",
    " ",
    "2024-02-30",
    "2024-11",
    "th",
    "5th",
]
DATEISH = st.lists(st.sampled_from(DATE_TOKENS), max_size=12).map(" ".join)
REFERENCES = st.one_of(
    st.none(),
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: d.isoformat()[:7]),
    st.dates().map(lambda d: d.isoformat()[:4]),
    st.text(max_size=12),
)


@given(st.one_of(st.text(), DATEISH), REFERENCES)
def test_parse_date_never_raises_and_returns_valid_iso_or_none(
    text: str, reference: str | None
) -> None:
    result = parse_date(text, reference)
    assert result is None or is_valid_iso(result)


# --------------------------------------------------------------------------- resolve_year


@pytest.mark.parametrize(
    ("partial", "reference", "expected"),
    [
        ("09", "2024-12", "2024-09"),
        ("09", "2024-02", "2023-09"),
        ("09", "2024", "2024-09"),
        ("09", "2024-09-01", "2024-09"),
        ("09-02", "2024-11-26", "2024-09-02"),
        ("--09-02", "2024-02-10", "2023-09-02"),
        ("--12", "2025-01-03", "2024-12"),
        ("02-29", "2024-03-01", "2024-02-29"),
    ],
)
def test_resolve_year_takes_the_latest_month_not_after_the_reference(
    partial: str, reference: str, expected: str
) -> None:
    assert resolve_year(partial, reference) == expected


@pytest.mark.parametrize(
    ("partial", "reference"),
    [
        ("September", "2024-12"),
        ("13", "2024-12"),
        ("09-31", "2024-12"),
        ("02-29", "2025-03-01"),
        ("09", None),
        ("09", "someday"),
    ],
)
def test_resolve_year_rejects_what_it_cannot_resolve(partial: str, reference: str | None) -> None:
    with pytest.raises(ValueError, match="expected"):
        resolve_year(partial, reference)


@given(st.integers(1, 12), st.dates(min_value=date(1001, 1, 1)))
def test_resolve_year_lands_in_the_twelve_months_up_to_the_reference(month: int, ref: date) -> None:
    resolved = resolve_year(f"{month:02d}", ref.isoformat())
    months_back = (ref.year * 12 + ref.month) - (int(resolved[:4]) * 12 + month)
    assert resolved[5:] == f"{month:02d}"
    assert 0 <= months_back < 12


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("(2 September - 31 October)", "2024-11-26", ("2024-09-02", "2024-10-31")),
        ("28 June – 23 November", "2024-11-26", ("2024-06-28", "2024-11-23")),
        ("from July 5 to 9", "2021-07-26", ("2021-07-05", "2021-07-09")),
        ("May 27-29", "2024-06-10", ("2024-05-27", "2024-05-29")),
        ("9 – 16 June", "2024-07-01", ("2024-06-09", "2024-06-16")),
        ("between March 3 and April 10, 2023", None, ("2023-03-03", "2023-04-10")),
        ("from November 19 to 21, 2024", None, ("2024-11-19", "2024-11-21")),
        ("from 1 to 5 March 2023", None, ("2023-03-01", "2023-03-05")),
        ("between 2 and 6 May 2022", None, ("2022-05-02", "2022-05-06")),
        ("2 September - 31 October 2024", None, ("2024-09-02", "2024-10-31")),
        ("13-15 November 2023", None, ("2023-11-13", "2023-11-15")),
        ("July-August 2023", None, ("2023-07", "2023-08")),
        ("Jan-Mar 2024", None, ("2024-01", "2024-03")),
        ("November - February", "2024-03", ("2023-11", "2024-02")),
        ("1 December to 5 January", "2024-01-10", ("2023-12-01", "2024-01-05")),
        ("December 2023 - January", None, ("2023-12", "2024-01")),
        ("from 5 July 2023 to 9 August", None, ("2023-07-05", "2023-08-09")),
        ("2024-11-01 to 2024-11-30", None, ("2024-11-01", "2024-11-30")),
        ("Monday 5 July to Friday 9 July 2021", None, ("2021-07-05", "2021-07-09")),
        ("2019–2021", None, ("2019", "2021")),
        ("from 2019 to 2021", None, ("2019", "2021")),
        ("between 2015 and 2018", None, ("2015", "2018")),
        ("2019–21", None, ("2019", "2021")),
        ("2023 to March 2024", None, ("2023", "2024-03")),
    ],
)
def test_periods_give_both_ends(
    text: str, reference: str | None, expected: tuple[str, str]
) -> None:
    assert parse_period(text, reference) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("since 2019", ("2019", None)),
        ("a member since March 2020", ("2020-03", None)),
        ("until May 2024", (None, "2024-05")),
        ("till 2030", (None, "2030")),
    ],
)
def test_open_periods_give_one_end(text: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("in 2024", "2024-05"),
        ("13 November 1980", None),
        ("2024-11-27", None),
        ("2011-12", None),
        ("on 3 March and 10 April", "2024-05"),
        ("2 to 3 years", None),
        ("from 10 to 20 officers", None),
        ("2023-2020", None),
        ("2 September - 31 October", None),
        ("30 February - 3 March 2024", None),
        ("2023 to March", None),
        ("no dates at all", "2024-05"),
        ("", None),
    ],
)
def test_non_periods_are_none(text: str, reference: str | None) -> None:
    assert parse_period(text, reference) is None


@given(
    st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31)),
    st.integers(0, 400),
    st.sampled_from([" - ", " – ", " to ", "-"]),
)
def test_any_written_pair_of_days_parses_to_its_ends(first: date, length: int, sep: str) -> None:
    last = first + timedelta(days=length)
    if last.year > 2999:
        last = first
    text = (
        f"{first.day} {MONTHS[first.month - 1]} {first.year}{sep}"
        f"{last.day} {MONTHS[last.month - 1]} {last.year}"
    )
    assert parse_period(text) == (first.isoformat(), last.isoformat())


@given(st.one_of(st.text(), DATEISH), REFERENCES)
def test_parse_period_never_raises_and_returns_ordered_valid_ends(
    text: str, reference: str | None
) -> None:
    result = parse_period(text, reference)
    if result is None:
        return
    start, end = result
    assert start is not None or end is not None
    assert all(v is None or is_valid_iso(v) for v in result)
    if start is not None and end is not None:
        common = min(len(start), len(end))
        assert start[:common] <= end[:common]


# --------------------------------------------------------------------------- tables


def test_shipped_tables_load() -> None:
    assert load_tables(DATA_PATH)["months"]["november"] == 11


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ("[]", "expected a JSON object"),
        (json.dumps({"months": []}), "'months' must be a JSON object"),
    ],
)
def test_malformed_tables_raise_rule_error(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "normalize.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError, match=message):
        load_tables(path)
