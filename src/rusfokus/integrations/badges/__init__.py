"""Open Badges 3.0 kursusbeviser (issue 18, deliverable 5).

A kursusbevis is also issued as a signed W3C Verifiable Credential with the Open Badges 3.0
context (type ``OpenBadgeCredential``), secured as a VC-JWT (OB 3.0 §8 "JWT proof format") with
an Ed25519 key (EdDSA). Signing, verification and the Bitstring Status List come from the
maintained library ``openbadgeslib`` (``openbadgeslib.ob3``); this package only decides what goes
into a credential, keeps the keys and the status list indexes, and serves them:

- ``models.py``: ``BadgeKey`` (key metadata; the private key is a 0600 file in the data folder)
  and ``BadgeCredential`` (an issued credential's id, its status list index, revocation);
- ``keys.py``: create, show, rotate keys; the public JWKS and the did:web document;
- ``issue.py``: build and sign a credential from a ``Certificate``; revoke; expiry; the signed
  status list credential;
- ``gdpr_part.py``: export and erase (revokes the person's credentials);
- ``web.py``, ``cli.py``: the routes (``/badges/``, ``/api/badges/``) and ``rusfokus badges``.
"""
