# JupyterHub login through the municipality's OpenID Connect provider: OS2faktor (OIDC), a Keycloak or other
# broker in front of KOMBIT Adgangsstyring (see deploy/hub/README.md), or any OIDC provider.
# oauthenticator's GenericOAuthenticator; the provider's groups/roles claim becomes the Hub's groups, which
# rusfokus maps to its roles (RUSFOKUS_HUB_GROUP_ADMIN / _NOEGLEPERSON / _LEARNER).
#
# Use: copy next to jupyterhub_config.py with id_token_check.py and add `load_subconfig("os2faktor.py")`
# (Zero to JupyterHub: hub.extraFiles, see deploy/kubernetes/kommune-a/values-oidc.yaml).
# Every value comes from the Hub's environment; the <REPLACE ...> defaults make a missing one obvious.
# The client secret only from the environment (a Kubernetes Secret), never in this file.
# Take the endpoint URLs from the provider's discovery document: <issuer>/.well-known/openid-configuration.
# Tested against a real OIDC provider on loopback by tests/identity/test_hub_oidc.py (this very file).
import os
import sys

# id_token_check.py: next to this file, or in HUB_SNIPPETS_DIR (Zero to JupyterHub runs files of
# jupyterhub_config.d inside its own config file, where __file__ is that file)
sys.path.insert(0, os.environ.get("HUB_SNIPPETS_DIR") or os.path.dirname(os.path.abspath(__file__)))
from id_token_check import parse_required, verify_id_token  # noqa: E402

c = get_config()  # noqa: F821

ISSUER = os.environ.get("OIDC_ISSUER", "<REPLACE: issuer, e.g. https://idp.kommune.dk>")

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.login_service = os.environ.get("OIDC_LOGIN_SERVICE", "kommunens login")
c.GenericOAuthenticator.client_id = os.environ.get("OIDC_CLIENT_ID", "<REPLACE: client id registered at the IdP>")
c.GenericOAuthenticator.client_secret = os.environ.get("OIDC_CLIENT_SECRET", "")
c.GenericOAuthenticator.oauth_callback_url = os.environ.get(
    "OAUTH_CALLBACK_URL", "<REPLACE: https://hub.kommune.dk/hub/oauth_callback>"
)
c.GenericOAuthenticator.authorize_url = os.environ.get("OIDC_AUTHORIZE_URL", "<REPLACE: authorization_endpoint>")
c.GenericOAuthenticator.token_url = os.environ.get("OIDC_TOKEN_URL", "<REPLACE: token_endpoint>")
c.GenericOAuthenticator.userdata_url = os.environ.get("OIDC_USERINFO_URL", "<REPLACE: userinfo_endpoint>")
c.GenericOAuthenticator.scope = os.environ.get("OIDC_SCOPE", "openid email profile").split()
# The Hub user name is the e-mail: rusfokus matches it to the staff list's e-mail column.
c.GenericOAuthenticator.username_claim = os.environ.get("OIDC_USERNAME_CLAIM", "email")
# The provider's group claim (in the userinfo answer) becomes the Hub's groups at every login.
c.GenericOAuthenticator.manage_groups = True
c.GenericOAuthenticator.auth_state_groups_key = "oauth_user." + os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# Only members of the three rusfokus groups get in at all (the same names as RUSFOKUS_HUB_GROUP_*).
c.GenericOAuthenticator.allowed_groups = {"rusfokus-kursist", "rusfokus-noegleperson", "rusfokus-admin"}
c.GenericOAuthenticator.admin_groups = set()  # rusfokus admins are not Hub admins
c.GenericOAuthenticator.enable_pkce = True
c.Authenticator.auto_login = True  # the Hub's login page goes straight to the provider
# The ID token's signature, issuer, audience and expiry are checked against the provider's keys.
# OIDC_REQUIRE_CLAIMS, e.g. "cvr=<the municipality's CVR number>": claims the signed ID token must carry (a
# bridge that serves several municipalities: only this municipality's staff get into this Hub).
c.Authenticator.post_auth_hook = verify_id_token(
    issuer=ISSUER,
    jwks_uri=os.environ.get("OIDC_JWKS_URL", "<REPLACE: jwks_uri>"),
    require=parse_required(os.environ.get("OIDC_REQUIRE_CLAIMS", "")),
)
