"""kg: knowledge graphs of international crime and cooperation, built from news articles.

Documents -> spaCy Docs -> fact records -> resolved entities -> RDF (one named graph per
document) -> SPARQL questions. Nothing heavy happens at import time.
"""

__version__ = "0.1.0"
