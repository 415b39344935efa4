"""SCORM 1.2 proxy packages (issue 18): one package per module that an LMS imports.

- ``rusfokus.integrations.scorm.package``: builds the zip (``imsmanifest.xml``, one SCO in ``sco/``,
  ``metadata.xml``) and signs the package token the SCO carries.
- ``rusfokus.integrations.scorm.launch``: the package and launch tokens, the LMS student id → staff
  list rule, and the status the SCO reports to the LMS.
- ``rusfokus.integrations.scorm.web``: ``/scorm/start`` (the learner's window) and
  ``/api/scorm/status`` (polled by the SCO, CORS for the package's LMS origin only).
- ``rusfokus.integrations.scorm.cli``: ``rusfokus export scorm MODULE --out FILE.zip``.

The threat model is written in README.md ("SCORM 1.2").
"""
