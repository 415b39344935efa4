"""MI coach: rule-based coding of Danish MI responses, MITI-lite figures, forandringscirkel."""

from rusfokus.mi.coder import LABEL_NAMES_DA, Coding, CodingError, Params, code

__all__ = ["code", "Coding", "CodingError", "Params", "LABEL_NAMES_DA"]
