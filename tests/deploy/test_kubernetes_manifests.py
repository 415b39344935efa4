"""deploy/kubernetes/ (issue 19): the two example municipalities' manifests are valid Kubernetes objects
(kubernetes-validate, its bundled API schemas, strict: unknown fields fail), sticky by cookie, probed on
/healthz, isolated from each other, and hold no real secret. Validated, not run: there is no cluster here."""

from __future__ import annotations

import copy
import re
import socket
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from rusfokus.kommune import load_kommune

from helpers.paths import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"
KOMMUNER = ("kommune-a", "kommune-b")
K8S_VERSION = "1.33.0"
"""The oldest Kubernetes the example is checked against (also checked against the newest bundled)."""
PLACEHOLDER = re.compile(r"^<REPLACE[^>]*>$|<REPLACE[-A-Z:]*[^>]*>")


def docs(kommune: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / kommune / "rusfokus.yaml").read_text(encoding="utf-8")) if d]


def by_kind(kommune: str, kind: str) -> list[dict]:
    return [d for d in docs(kommune) if d["kind"] == kind]


def one(kommune: str, kind: str) -> dict:
    (found,) = by_kind(kommune, kind)
    return found


def validate(doc: dict, version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("kommune", KOMMUNER)
@pytest.mark.parametrize("version", [K8S_VERSION, kubernetes_validate.latest_version()])
def test_every_manifest_is_a_valid_kubernetes_object(kommune, version):
    kinds = []
    for doc in docs(kommune):
        validate(doc, version)
        kinds.append(doc["kind"])
    assert sorted(kinds) == sorted(
        ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "Ingress"]
    )


def test_the_validator_rejects_what_is_wrong_and_needs_no_network(monkeypatch):
    """The check can fail: a wrong type and an unknown field are refused, with every socket blocked."""

    def no_network(*a, **kw):
        raise OSError("network blocked in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    deployment = one("kommune-a", "Deployment")
    validate(deployment, K8S_VERSION)
    bad = copy.deepcopy(deployment)
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(bad, K8S_VERSION)
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/healthz"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(typo, K8S_VERSION)


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_ingress_is_sticky_by_cookie_not_by_client_ip(kommune):
    ingress = one(kommune, "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"]
    assert notes["nginx.ingress.kubernetes.io/session-cookie-secure"] == "true"
    assert not any("upstream-hash-by" in k for k in notes), "hashing by client address pins everyone to one copy"
    service = one(kommune, "Service")
    assert service["spec"].get("sessionAffinity", "None") == "None"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert ingress["spec"]["tls"], "the learner cookie is Secure: https only"


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_replicas_probes_resources_and_non_root(kommune):
    deployment = one(kommune, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    assert pod["automountServiceAccountToken"] is False
    (main,) = pod["containers"]
    port = main["ports"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = main[probe]["httpGet"]
        assert get["path"].split("?")[0] == "/healthz" and get["port"] in (port["name"], port["containerPort"]), probe
    # readiness asks the database (503 = take the copy out); liveness must not, or a database outage
    # would restart every copy
    assert main["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz?probe=live"
    for container in pod["containers"] + pod["initContainers"]:
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
    # README "Memory": the server with its pools 1.0-1.1 GB idle; (limit - 300 MB) / 70 MB = RUSFOKUS_MAX_KERNELS
    env = {e["name"]: e for e in main["env"]}
    limit_mib = int(main["resources"]["limits"]["memory"].removesuffix("Gi")) * 1024
    request_mib = int(main["resources"]["requests"]["memory"].removesuffix("Mi"))
    assert request_mib >= 1100
    assert int(env["RUSFOKUS_MAX_KERNELS"]["value"]) == (limit_mib - 300) // 70
    assert env["RUSFOKUS_COPY_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["RUSFOKUS_DB"]["valueFrom"]["secretKeyRef"]["name"] == one(kommune, "Secret")["metadata"]["name"]
    # the shared cookie secret is the file rusfokus reads: <RUSFOKUS_HOME>/secret.key
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    assert mounts[env["RUSFOKUS_HOME"]["value"] + "/secret.key"]["subPath"] == "secret.key"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["kommune"]["configMap"]["name"] == one(kommune, "ConfigMap")["metadata"]["name"]
    assert (
        volumes["course"]["persistentVolumeClaim"]["claimName"]
        == one(kommune, "PersistentVolumeClaim")["metadata"]["name"]
    )


def _names(kommune: str) -> dict[str, set[str]]:
    """Namespaces, Secrets, ConfigMaps, PVCs, hosts and database names a municipality's release uses."""
    out: dict[str, set[str]] = {"namespace": set(), "Secret": set(), "ConfigMap": set(), "db": set(), "host": set()}
    for doc in docs(kommune):
        out["namespace"].add(doc["metadata"].get("namespace") or doc["metadata"]["name"])
        if doc["kind"] in ("Secret", "ConfigMap", "PersistentVolumeClaim"):
            out.setdefault(doc["kind"], set()).add(doc["metadata"]["name"])
        if doc["kind"] == "Secret":
            for url in doc["stringData"].values():
                if "://" in url:
                    out["db"].add(url.rsplit("/", 1)[1])
                    out["host"].add(url.split("@", 1)[1].split(":", 1)[0])
        if doc["kind"] == "Ingress":
            out["host"].update(rule["host"] for rule in doc["spec"]["rules"])
    values = yaml.safe_load((DEPLOY / kommune / "values.yaml").read_text(encoding="utf-8"))
    out["db"].add(values["hub"]["db"]["url"].rsplit("/", 1)[1])
    out["host"].update(values["ingress"]["hosts"])
    return out


def test_the_two_municipalities_share_nothing():
    a, b = _names("kommune-a"), _names("kommune-b")
    for what in a:
        assert a[what] and b[what], what
        assert not a[what] & b[what], f"{what} shared by both municipalities: {a[what] & b[what]}"
    assert len(a["namespace"]) == 1 and len(b["namespace"]) == 1
    # each object of a municipality's file lives in its own namespace only
    for kommune in KOMMUNER:
        for doc in docs(kommune):
            assert doc["metadata"]["labels"]["rusfokus.dk/kommune"] == kommune
    # each has its own kommune.yml, and it is a valid one (the same check `rusfokus check` runs)
    navne = set()
    for kommune in KOMMUNER:
        cm = one(kommune, "ConfigMap")
        path = Path(pytest.importorskip("tempfile").mkdtemp()) / "kommune.yml"
        path.write_text(cm["data"]["kommune.yml"], encoding="utf-8")
        navne.add(load_kommune(path).navn)
    assert len(navne) == 2


SECRETISH = re.compile(
    r"(BEGIN [A-Z ]*PRIVATE KEY|\b[0-9a-f]{32,}\b|[A-Za-z0-9+/]{40,}={0,2}|://[^:/\s]+:(?!<REPLACE)[^@\s]+@)"
)


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_no_real_secret_in_the_files(kommune):
    for name in ("rusfokus.yaml", "values.yaml"):
        text = (DEPLOY / kommune / name).read_text(encoding="utf-8")
        found = [m.group(0) for m in SECRETISH.finditer(text)]
        assert not found, f"{kommune}/{name} looks like it holds a secret: {found}"
    secret = one(kommune, "Secret")
    assert "data" not in secret, "base64 data hides what is in it: stringData placeholders only"
    for key, value in secret["stringData"].items():
        assert "<REPLACE" in value, f"{key} is not a placeholder"
    values = yaml.safe_load((DEPLOY / kommune / "values.yaml").read_text(encoding="utf-8"))
    assert "<REPLACE" in values["hub"]["db"]["password"]
    for service in values["hub"]["services"].values():
        assert "api_token" not in service and "apiToken" not in service, "let the chart generate the token"
