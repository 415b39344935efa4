"""LTI 1.3 tool: an LMS (Moodle, Canvas ...) launches a module; the score goes back through AGS.

- ``platforms``: the platform registrations, read from ``RUSFOKUS_LTI_FILE`` (``lti.yml``);
- ``keys``: the tool's RSA key pair (``rusfokus lti key``), its public JWKS at ``/lti/jwks.json``;
- ``tool``: OIDC login initiation and launch validation with PyLTI1p3 (the platform's signed
  id_token against its JWKS, one-time state and nonce kept in the database), the roster mapping,
  and the score sent back through Assignment and Grade Services as an outbox subscriber;
- ``web``: ``/lti/login``, ``/lti/launch``, ``/lti/start``, ``/lti/jwks.json``.
"""
