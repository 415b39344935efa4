"""deploy/kubernetes/<kommune>/values.yaml (issue 19): every key we set for the Zero to JupyterHub chart (4.x)
exists in the chart with the type the chart documents. CHART_KEYS is our own, hand-written record of the keys we
use, read from the chart's documented values schema (jupyterhub/values.schema.yaml of zero-to-jupyterhub-k8s,
the schema Helm checks values against) and, for the service entries the chart passes through as they are,
from JupyterHub's documented Service and role properties. It is not the chart's file: only the keys used here."""

from __future__ import annotations

import pytest
import yaml

from helpers.paths import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"
KOMMUNER = ("kommune-a", "kommune-b")

ANY = object()
"""The chart takes any content here (its schema: ``additionalProperties: true``), checked further below."""

ROLE = {"description": str, "scopes": [str], "users": [str], "groups": [str], "services": [str]}
"""A JupyterHub role (load_roles): the chart's loadRoles is a dict of them by name."""

SERVICE = {
    # documented by the chart under hub.services.<key>
    "name": str,
    "admin": bool,
    "command": (str, list),
    "url": str,
    "api_token": (str, type(None)),
    "apiToken": (str, type(None)),
    # JupyterHub Service properties the chart passes through (additionalProperties: true)
    "display": bool,
    "info": dict,
    "oauth_client_id": str,
    "oauth_redirect_uri": str,
    "oauth_no_confirm": bool,
}

CHART_KEYS = {
    "hub": {
        "baseUrl": str,
        "db": {
            "type": ("sqlite-pvc", "sqlite-memory", "mysql", "postgres", "other"),
            "url": (str, type(None)),
            "password": (str, type(None)),
        },
        "services": {str: SERVICE},
        "loadRoles": {str: ROLE},
        "config": ANY,
        "podSecurityContext": ANY,
        "containerSecurityContext": ANY,
        "networkPolicy": {"enabled": bool},
        "existingSecret": (str, type(None)),
        "extraEnv": ANY,
    },
    "proxy": {"service": {"type": ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")}},
    "ingress": {
        "enabled": bool,
        "annotations": {str: str},
        "ingressClassName": (str, type(None)),
        "hosts": [str],
        "tls": [dict],
        "pathType": ("Prefix", "Exact", "ImplementationSpecific"),
    },
}
REQUIRED = {("ingress",): ["enabled"], ("hub",): ["baseUrl"]}
"""Required by the chart's schema where an object is given (the chart's defaults fill them otherwise; we set them)."""


def check(value, spec, path=()) -> list[str]:
    """Every problem of ``value`` against ``spec``, as 'path: message'."""
    where = ".".join(map(str, path)) or "(top)"
    if spec is ANY:
        return []
    if isinstance(spec, type):
        return (
            []
            if isinstance(value, spec) and not (spec is int and isinstance(value, bool))
            else [f"{where}: {value!r} is not {spec.__name__}"]
        )
    if isinstance(spec, tuple):
        if all(isinstance(s, type) for s in spec):
            return [] if isinstance(value, spec) else [f"{where}: {value!r} is none of {[s.__name__ for s in spec]}"]
        return [] if value in spec else [f"{where}: {value!r} is not one of {spec}"]
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [p for i, item in enumerate(value) for p in check(item, spec[0], (*path, i))]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a mapping"]
        if set(spec) == {str}:
            return [p for k, v in value.items() for p in check(v, spec[str], (*path, k))]
        problems = [f"{where}.{k}: not a key the chart documents" for k in value if k not in spec]
        problems += [f"{where}: {k} is required" for k in REQUIRED.get(path, []) if k not in value]
        return problems + [p for k, v in value.items() if k in spec for p in check(v, spec[k], (*path, k))]
    raise AssertionError(f"bad spec at {where}")


def load(kommune: str) -> dict:
    return yaml.safe_load((DEPLOY / kommune / "values.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_every_key_is_one_the_chart_documents_with_its_type(kommune):
    assert check(load(kommune), CHART_KEYS) == []


def test_the_check_can_fail():
    values = load("kommune-a")
    values["hub"]["db"]["type"] = "postgresql"
    values["hub"]["servicess"] = {}
    values["ingress"]["hosts"] = "hub.example"
    values["hub"]["loadRoles"]["x"] = {"scopes": "access:services"}
    problems = check(values, CHART_KEYS)
    assert any(p.startswith("hub.db.type:") for p in problems)
    assert "hub.servicess: not a key the chart documents" in problems
    assert any(p.startswith("ingress.hosts:") for p in problems)
    assert any(p.startswith("hub.loadRoles.x.scopes:") for p in problems)
    del values["ingress"]["enabled"]
    assert "ingress: enabled is required" in check(values, CHART_KEYS)


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_rusfokus_is_a_hub_service_and_learners_get_no_server(kommune):
    values = load(kommune)
    hub = values["hub"]
    service = hub["services"]["rusfokus"]
    assert "url" not in service, "rusfokus has its own sticky Ingress; the Hub's proxy would pin by its own address"
    assert service["oauth_redirect_uri"].startswith("https://rusfokus.")
    assert service["oauth_redirect_uri"].endswith("/hub/oauth_callback")
    assert service["oauth_no_confirm"] is True and service["admin"] is False
    roles = hub["loadRoles"]
    access = [r for r in roles.values() if "access:services!service=rusfokus" in r["scopes"]]
    assert len(access) == 1
    groups = set(hub["config"]["JupyterHub"]["load_groups"])
    assert set(access[0]["groups"]) == groups == {"rusfokus-kursist", "rusfokus-noegleperson", "rusfokus-admin"}
    # the default user role is narrowed: no servers!user, no access:servers!user, no "self" (which includes them)
    user_scopes = roles["user"]["scopes"]
    assert not any(s == "self" or "servers" in s for s in user_scopes), user_scopes
    # nobody gets admin through these values
    assert not any("admin" in s.split(":")[0] for r in roles.values() for s in r["scopes"])
    assert values["ingress"]["hosts"] == [f"hub.{kommune}.example"]


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_roles_and_scopes_exist_in_the_hub_the_chart_ships(kommune):
    """Role names and scopes checked by JupyterHub 5.4 itself (the Hub of chart 4.x), not by our own list."""
    from jupyterhub import roles, scopes

    for name, role in load(kommune)["hub"]["loadRoles"].items():
        roles._validate_role_name(name)
        scopes._check_scopes_exist(role["scopes"], who_for=f"role {name}")
    with pytest.raises(KeyError):
        scopes._check_scopes_exist(["acess:services!service=rusfokus"], who_for="role with a typo")
