"""Parser of 述职评议 meeting transcripts: text or document bytes in, dataclasses out.

Pure: no Flask, no database. Other modules import exactly the names below.
"""
from .model import (NotAReviewError, ParsedProblem, ParsedReview, ParsedUnit, ParseError,
                    UnreadableDocumentError)
from .parse import parse_document, parse_text
from .reader import SUPPORTED_EXTENSIONS, decode_text, read_document

__all__ = [
    "NotAReviewError",
    "ParseError",
    "ParsedProblem",
    "ParsedReview",
    "ParsedUnit",
    "SUPPORTED_EXTENSIONS",
    "UnreadableDocumentError",
    "decode_text",
    "parse_document",
    "parse_text",
    "read_document",
]
