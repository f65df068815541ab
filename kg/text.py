"""Text cleaning before NLP: make any decoded text safe for spaCy and for every serialiser.

Why each step exists:

- Lone surrogates (from JSON ``"\\ud800"`` escapes or ``surrogateescape``) crash spaCy's
  tokenizer and break N-Triples; they become U+FFFD.
- Line endings are normalised (``\\r\\n``, ``\\r``, U+2028, U+2029, and the C0/C1 line breaks
  VT, FF and NEL all become ``\\n``) so offsets do not depend on the platform that wrote the
  file, and a page break never glues two words together.
- Other C0/C1 controls, the BOM (U+FEFF, anywhere), bidi controls and zero-width characters
  are removed: they are invisible, they split names that look identical, and GraphML, GEXF and
  RDF/XML cannot carry the controls at all.
- NFC makes the composed and decomposed spellings of a name the same string; it runs after
  the removals because removing a zero-width character can bring a letter and its combining
  mark together.
- Runs of combining marks are capped (zalgo text) at ``MAX_COMBINING_RUN``.
- Runs of one repeated punctuation mark or symbol (anything but letters, digits and
  whitespace) are capped at ``MAX_REPEAT``: every such character is a token, and the model
  spends about a millisecond a token, so ``"!" * 100_000`` took 34 s and 8,000 ``"`` 3 s.
- Whitespace-free runs longer than ``MAX_RUN`` characters get a space inserted every
  ``MAX_RUN`` characters, because spaCy's tokenizer is super-linear on long punctuation runs:
  8,000 ``!`` took 16 s and 8,000 nested parentheses 36 s, and well under 0.01 s once split.

``clean_text`` is idempotent: cleaning clean text changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

MAX_COMBINING_RUN = 8
MAX_RUN = 200
MAX_REPEAT = 10

_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"  # C0 and C1 controls except \t \n and the breaks
    "\ufeff"  # byte order mark / zero-width no-break space
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner; LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060"  # word joiner
    "\u2066-\u2069]+"  # bidi isolates
)
_REPEATS = re.compile(rf"([^\w\s])\1{{{MAX_REPEAT},}}")
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_WHITESPACE = re.compile(r"\s+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# Where combining marks (category M) live: the BMP first, then the SMP and plane 14 (variation
# selectors supplement). A test checks that no mark lives elsewhere.
_MARK_BLOCKS = (range(0x10000), range(0x10000, 0x20000), range(0xE0000, 0xE1000))


def clean_text(text: str) -> str:
    """Return ``text`` safe for spaCy and serialisers (see the module docstring for why).

    Steps, in order: lone surrogates -> U+FFFD; line breaks -> ``\\n``; controls (except
    ``\\n`` and ``\\t``), BOM, bidi and zero-width characters removed; NFC; runs of combining
    marks capped at 8; runs of one punctuation mark or symbol capped at 10; whitespace-free
    runs longer than 200 characters split by a space every 200 characters (spaCy is
    super-linear on long punctuation runs).
    """
    ascii_only = text.isascii()
    if not ascii_only:
        text = _SURROGATES.sub("\ufffd", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if not ascii_only:
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        astral = _ASTRAL.search(text) is not None
        text = _combining_runs(astral).sub(r"\1", text)
    text = _REPEATS.sub(_cap_repeat, text)
    return _LONG_RUN.sub(_split_run, text)


def clean_label(text: str, max_len: int = 1000) -> str:
    """Return ``text`` cleaned for use as an entity label: one line, single spaces, and at
    most ``max_len`` characters (longer labels end in "…" so no export carries a huge name)."""
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    label = _WHITESPACE.sub(" ", clean_text(text)).strip()
    if len(label) <= max_len:
        return label
    return label[: max_len - 1].rstrip() + "…"


def _cap_repeat(match: re.Match[str]) -> str:
    return match[1] * MAX_REPEAT


def _split_run(match: re.Match[str]) -> str:
    run = match.group()
    return " ".join(run[i : i + MAX_RUN] for i in range(0, len(run), MAX_RUN))


@cache
def _combining_runs(astral: bool) -> re.Pattern[str]:
    """The pattern matching a run of more than ``MAX_COMBINING_RUN`` combining marks, keeping
    the first ones in group 1; with ``astral`` False only marks in the BMP count.

    Built on first use from the running Python's Unicode data (about 20 ms), not at import
    time. Two patterns because ``re`` tests a BMP-only class with a bitmap but a class with
    astral ranges by scanning them all, 50x slower; most text has no astral characters.
    """
    ranges: list[tuple[int, int]] = []
    for block in _MARK_BLOCKS if astral else _MARK_BLOCKS[:1]:
        for code in block:
            if unicodedata.category(chr(code)).startswith("M"):
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1] = (ranges[-1][0], code)
                else:
                    ranges.append((code, code))
    marks = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )
    return re.compile(f"([{marks}]{{{MAX_COMBINING_RUN}}})[{marks}]+")
