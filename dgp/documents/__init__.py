"""Text extraction from documents: every format becomes a stream of Segments.

Pure file reading: no scanning here, so the document and image scanners can
share it.
"""

from dgp.documents.base import ExtractionError, ExtractLimits, Segment, TimeLimit

__all__ = ["ExtractLimits", "ExtractionError", "Segment", "TimeLimit"]
