"""The single exception type of the extractor.

Every failure the caller can do something about (empty file, wrong format, undecodable bytes, file too big,
text that is not a work plan, no plan year) is an :class:`ExtractionError`. It subclasses ``ValueError`` so a
caller that only knows "bad input" can still catch it.
"""


class ExtractionError(ValueError):
    """The input could not be turned into a work plan; ``str(err)`` is a human-readable reason."""
