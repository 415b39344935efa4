"""`rusfokus serve`: the book, the Voilà apps and the feature routes on one origin."""
