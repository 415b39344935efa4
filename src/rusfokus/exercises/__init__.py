"""Exercises: YAML data files → nbgrader course → Voilà quiz app → grading queue."""
