# JupyterHub login through Microsoft Entra ID (Azure AD) with oauthenticator's AzureAdOAuthenticator.
# Entra's app roles become the Hub's groups, which rusfokus maps to its roles (RUSFOKUS_HUB_GROUP_*).
#
# At Entra (App registrations): a web app with redirect URI https://<hub host>/hub/oauth_callback, a client
# secret, and three App roles (Users/Groups) whose *values* are rusfokus-kursist, rusfokus-noegleperson and
# rusfokus-admin, assigned to the municipality's staff groups (Enterprise applications → Users and groups).
# Entra puts the assigned roles in the ID token's `roles` claim. (Group object ids in the `groups` claim are
# GUIDs, not names: use app roles.) Turn on "Assignment required" so nobody else can sign in.
#
# Use: copy next to jupyterhub_config.py with id_token_check.py and add `load_subconfig("entra-id.py")`
# (Zero to JupyterHub: hub.extraFiles, see deploy/kubernetes/kommune-b/values-entra-id.yaml). Values from the
# Hub's environment; the secret only from the environment (a Kubernetes Secret), never in this file.
# Checked by tests/deploy/test_hub_snippets.py (loads, class, keys); the login itself is not tested against
# Entra (no tenant from the test machine).
import os
import sys

# id_token_check.py: next to this file, or in HUB_SNIPPETS_DIR (Zero to JupyterHub runs files of
# jupyterhub_config.d inside its own config file, where __file__ is that file)
sys.path.insert(0, os.environ.get("HUB_SNIPPETS_DIR") or os.path.dirname(os.path.abspath(__file__)))
from id_token_check import verify_id_token  # noqa: E402

c = get_config()  # noqa: F821

TENANT = os.environ.get("AZURE_TENANT_ID", "<REPLACE: directory (tenant) id>")
LOGIN = f"https://login.microsoftonline.com/{TENANT}"

c.JupyterHub.authenticator_class = "azuread"
c.AzureAdOAuthenticator.tenant_id = TENANT
c.AzureAdOAuthenticator.client_id = os.environ.get("AZURE_CLIENT_ID", "<REPLACE: application (client) id>")
c.AzureAdOAuthenticator.client_secret = os.environ.get("AZURE_CLIENT_SECRET", "")
c.AzureAdOAuthenticator.oauth_callback_url = os.environ.get(
    "OAUTH_CALLBACK_URL", "<REPLACE: https://hub.kommune.dk/hub/oauth_callback>"
)
# the v2.0 endpoints (the class's defaults are the older v1 ones)
c.AzureAdOAuthenticator.authorize_url = f"{LOGIN}/oauth2/v2.0/authorize"
c.AzureAdOAuthenticator.token_url = f"{LOGIN}/oauth2/v2.0/token"
c.AzureAdOAuthenticator.scope = ["openid", "email", "profile"]
# preferred_username is the sign-in name (UPN), normally the work e-mail that is on rusfokus's staff list;
# use "email" if your UPNs are not e-mail addresses (the email claim is optional in Entra: add it as an
# optional claim of the ID token).
c.AzureAdOAuthenticator.username_claim = "preferred_username"
c.AzureAdOAuthenticator.manage_groups = True
c.AzureAdOAuthenticator.auth_state_groups_key = "user.roles"
c.AzureAdOAuthenticator.allowed_groups = {"rusfokus-kursist", "rusfokus-noegleperson", "rusfokus-admin"}
c.AzureAdOAuthenticator.admin_groups = set()  # rusfokus admins are not Hub admins
c.Authenticator.auto_login = True
c.Authenticator.post_auth_hook = verify_id_token(issuer=f"{LOGIN}/v2.0", jwks_uri=f"{LOGIN}/discovery/v2.0/keys")
