"""Completion events, stored in the same transaction as the result and delivered at least once (issue 18)."""
