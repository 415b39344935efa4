"""Standards the municipality's systems speak: xAPI, SCORM 1.2, Open Badges 3.0 (issue 18)."""
