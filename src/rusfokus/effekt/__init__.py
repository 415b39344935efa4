"""Proof of effect: self-efficacy before/after, practice counts, aggregates with a minimum group size (issue 17)."""
