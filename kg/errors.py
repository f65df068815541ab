"""The exceptions kg raises, one small tree a caller can catch at the level it cares about.

    KgError
    ├── InputError (ValueError)          a document or input path kg cannot read
    │   ├── EmptyInputError              nothing to read: empty file, whitespace only
    │   ├── DecodingError                bytes that are not the text they claim to be
    │   ├── UnsupportedFormatError       an extension or format name kg does not know
    │   └── DocumentQuarantinedError     a document that overran its time budget (strict build)
    ├── ModelError (RuntimeError)        no spaCy pipeline could be loaded
    ├── RuleError (ValueError)           a rule or gazetteer data file is malformed
    ├── RdfError (ValueError)            RDF that cannot be parsed or written
    ├── QueryError (ValueError)          SPARQL that is malformed or cannot run
    │   ├── UnknownQueryError (KeyError) a named question that does not exist
    │   └── ParameterError               a parameter a named question does not take
    ├── OutputError (OSError)            an output that could not be written
    └── StoreLockedError                 a graph store another kg process is writing

Every message says what was expected and what arrived, so the CLI can print it as one line.
"""

from __future__ import annotations


class KgError(Exception):
    """Base of every error kg raises on purpose."""


class InputError(KgError, ValueError):
    """An input document or path that cannot be read."""


class EmptyInputError(InputError):
    """An input with no text in it."""


class DecodingError(InputError):
    """Bytes that do not decode as the encoding they claim (UTF-8 unless said otherwise)."""


class UnsupportedFormatError(InputError):
    """A file extension or format name kg does not handle."""


class DocumentQuarantinedError(InputError):
    """A document whose reading overran the time budget or killed its worker process, in a
    strict build (otherwise it is quarantined and the build goes on; ``kg.workers``)."""


class ModelError(KgError, RuntimeError):
    """No spaCy pipeline could be loaded."""


class RuleError(KgError, ValueError):
    """A rule or gazetteer data file that does not validate."""


class RdfError(KgError, ValueError):
    """RDF that cannot be parsed or serialised."""


class QueryError(KgError, ValueError):
    """SPARQL that is malformed or fails to run."""


class UnknownQueryError(QueryError, KeyError):
    """A named question that is not in the catalogue."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterError(QueryError):
    """A parameter that a named question does not declare, or one that is missing."""


class OutputError(KgError, OSError):
    """An output file or folder that could not be written."""


class StoreLockedError(KgError):
    """A graph store held by another writer: one kg process writes a store at a time."""
