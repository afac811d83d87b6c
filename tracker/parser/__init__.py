"""Parser of 述职评议 meeting transcripts: text or document bytes in, dataclasses out.

Pure: no Flask, no database. Other modules import exactly the names below.
"""
from .model import (WARNING_CODES, NotAReviewError, ParsedProblem, ParsedReview, ParsedUnit, ParseError,
                    UnreadableDocumentError)
from .parse import parse_document, parse_text
from .reader import SUPPORTED_EXTENSIONS, DocumentText, decode_text, read_document

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "WARNING_CODES",
    "DocumentText",
    "NotAReviewError",
    "ParseError",
    "ParsedProblem",
    "ParsedReview",
    "ParsedUnit",
    "UnreadableDocumentError",
    "decode_text",
    "parse_document",
    "parse_text",
    "read_document",
]
