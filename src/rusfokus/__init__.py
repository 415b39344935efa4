"""rusfokus: e-learning in tidlig opsporing for Danish municipal front staff."""

__version__ = "0.1.0"
