"""``/noegleperson/``: the nøgleperson's pages (and the admin's view of them).

- ``GET /noegleperson`` "For nøglepersoner": her tools (temadage, projector, status, reflections).
- ``GET /noegleperson/status``: her institution's training status (admin: any, ``?institution=<id>``).
- ``GET/POST /noegleperson/refleksioner``: her colleagues' reflections; read and score them.

Who is who comes from ``rusfokus.identity.roles.current_role`` on every request: a nøgleperson
(personal link + the ``noegleperson`` flag on the staff list, active, not revoked) sees only
her own institution; an admin sees everything; anyone else gets a Danish refusal.
Plain tornado pages with autoescaped templates, like the temadag pages.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import tornado.web
from sqlalchemy import select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.effekt.reports import institution_effekt
from rusfokus.exercises.reflections import ReflectionError, list_reflections, score_reflection
from rusfokus.exercises.schema import ExerciseError
from rusfokus.identity.roles import Role
from rusfokus.identity.web import Handler
from rusfokus.migrations import upgrade
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import STATUS_ACTIVE, Afdeling, Institution, Person
from rusfokus.roles.status import institution_data, institution_status
from rusfokus.temadag import store
from rusfokus.temadag.web import may_facilitate

HERE = Path(__file__).parent
CSRF_MAX_AGE = 12 * 3600
NO_IDENTITY = "Vi ved ikke, hvem du er. Nøglepersoner åbner siden via deres personlige link. Der er ingen adgangskode."
ONLY_NOEGLEPERSON = (
    "Siden er kun for nøglepersoner. Står du som nøgleperson på medarbejderlisten, så spørg rusmiddelcentret."
)
NOT_FOUND = "Siden findes ikke, eller du har ikke adgang til den."
NOT_READY = "Refleksionerne kan ikke vises lige nu. Prøv igen senere, eller kontakt rusmiddelcentret."
log = logging.getLogger("rusfokus.roles")


class _Base(Handler):
    """``rusfokus.identity.web.Handler`` (settings, secret, who is asking); own CSRF check (a signed
    token bound to who is signed in)."""

    TEMPLATES = str(HERE / "templates")

    async def role_async(self) -> Role:
        """``role()`` (a database lookup) off the event loop."""
        return await self.in_thread(self.role)

    async def require(self) -> Role:
        """A nøgleperson or an admin, or a Danish refusal page (403)."""
        role = await self.role_async()
        if role.is_admin or role.is_noegleperson:
            return role
        message = ONLY_NOEGLEPERSON if role.kind else NO_IDENTITY
        self.set_status(403)
        self.page("afvist.html", title="Ingen adgang", message=message, signed_in=bool(role.kind))
        raise tornado.web.Finish()

    def page(self, template: str, **kw):
        kw.setdefault("role", self._role or Role())
        self.render(template, **kw)

    def csrf_token(self, role: Role) -> str:
        return identity.sign("noegle-csrf", role.actor, secret=self.secret)

    def check_csrf(self, role: Role) -> None:
        try:
            ok = (
                identity.verify(
                    "noegle-csrf", self.get_body_argument("_csrf", ""), max_age=CSRF_MAX_AGE, secret=self.secret
                )
                == role.actor
            )
        except identity.IdentityError:
            ok = False
        if not ok:
            raise tornado.web.HTTPError(403, reason="Formularen er udløbet. Genindlæs siden og prøv igen.")

    def render_error_page(self, status_code: int, message: str) -> None:
        self.page("afvist.html", title="Det gik ikke", message=message, signed_in=True)


class HomeHandler(_Base):
    async def get(self):
        role = await self.require()
        plans = await self.in_thread(self._coming, role)
        self.page("forside.html", title="For nøglepersoner", plans=plans)

    def _coming(self, role: Role) -> list:
        """Her temadage from today on (an admin: all), soonest first, for the projector links."""
        today = date.today()
        with session_scope(self.rf.db_url) as s:
            plans = [p for p in store.list_plans(s) if p.date >= today and may_facilitate(role, p.institutions)]
        return plans[:10]


def institutions_for(settings, role: Role) -> list[tuple[int, str, str]]:
    """(id, name, afdeling) the role may see: hers, or every institution with active staff for an admin."""
    if role.is_noegleperson:
        ids = role.institution_ids
    elif not role.is_admin:
        return []
    with session_scope(settings.db_url) as s:
        query = (
            select(Institution.id, Institution.name, Afdeling.name)
            .join(Afdeling, Institution.afdeling_id == Afdeling.id)
            .order_by(Institution.name)
        )
        if role.is_admin:
            query = query.where(Institution.id.in_(select(Person.institution_id).where(Person.status == STATUS_ACTIVE)))
        else:
            query = query.where(Institution.id.in_(ids))
        return [tuple(r) for r in s.execute(query).all()]


class StatusHandler(_Base):
    async def get(self):
        role = await self.require()
        allowed = await self.in_thread(institutions_for, self.rf, role)
        wanted = self.get_query_argument("institution", "")
        if role.is_noegleperson and not wanted and allowed:
            wanted = str(allowed[0][0])
        chosen = next((i for i in allowed if str(i[0]) == wanted), None)
        if wanted and chosen is None:  # another institution: as if it did not exist
            raise tornado.web.HTTPError(404, reason=NOT_FOUND)
        status = await self.in_thread(self._status, chosen[0]) if chosen else None
        self.page(
            "status.html",
            title="Status for uddannelsen",
            institutions=allowed,
            chosen=chosen,
            status=status,
            today=date.today(),
        )

    def _status(self, institution_id: int) -> dict:
        with session_scope(self.rf.db_url) as s:
            data = institution_status(institution_data(s, institution_id), date.today())
            # proof of effect (issue 17): answers only as aggregates of >= RUSFOKUS_EFFEKT_MIN_GROUP people
            data["effekt"] = institution_effekt(s, institution_id, self.rf.effekt_min_group)
            log_action(s, self._role.actor, "noegleperson.status", f"institution #{institution_id}", "")
        return data


def colleague_emails(settings, role: Role) -> set[str] | None:
    """Whose reflections the role may read: an admin everyone's (None); a nøgleperson those of
    the active staff of her institution(s), never her own (nobody scores herself)."""
    if role.is_admin:
        return None
    if not role.is_noegleperson:
        return set()
    with session_scope(settings.db_url) as s:
        emails = set(
            s.scalars(
                select(Person.email).where(
                    Person.institution_id.in_(role.institution_ids),
                    Person.status == STATUS_ACTIVE,
                    Person.email.is_not(None),
                )
            )
        )
    return emails - {role.who}


def names_of(settings, emails) -> dict[str, str]:
    emails = list(emails)
    if not emails:
        return {}
    with session_scope(settings.db_url) as s:
        return dict(s.execute(select(Person.email, Person.name).where(Person.email.in_(emails))).all())


class ReflectionsHandler(_Base):
    def _load(self, role: Role):
        emails = colleague_emails(self.rf, role)
        if emails is not None and not emails:
            return [], {}
        try:
            rows = list_reflections(self.rf.course_dir, emails, self.rf.gradebook_db, content_dir=self.rf.content_dir)
        except ExerciseError:  # an exercise file the operator must fix (named in the log)
            log.exception("reflections cannot be listed")
            raise tornado.web.HTTPError(503, reason=NOT_READY) from None
        return rows, names_of(self.rf, {r.email for r in rows})

    async def get(self, error: str = "", status: int = 200):
        role = await self.require()
        message = "Pointene er gemt. Kursisten kan se dem nu." if self.get_query_argument("gemt", "") else ""
        rows, names = await self.in_thread(self._load, role)
        self.set_status(status)
        self.page(
            "refleksioner.html",
            title="Refleksioner",
            rows=rows,
            names=names,
            message=message,
            error=error,
            csrf=self.csrf_token(role),
            show=self.get_query_argument("vis", "venter"),
        )

    async def post(self):
        role = await self.require()
        self.check_csrf(role)
        student = self.get_body_argument("elev", "")
        opgave = self.get_body_argument("opgave", "")
        question = self.get_body_argument("spoergsmaal", "")
        submitted = self.get_body_argument("afleveret", "")
        points = self.get_body_argument("point", "")
        rows, names = await self.in_thread(self._load, role)
        target = next((r for r in rows if (r.student, r.opgave, r.question_id) == (student, opgave, question)), None)
        if target is None:  # not hers to see (or gone): never scored
            raise tornado.web.HTTPError(404, reason=NOT_FOUND)

        try:
            await self.in_thread(self._score, role, target, points, submitted)
        except ReflectionError as exc:
            return await self.get(error=str(exc), status=400)
        self.redirect("/noegleperson/refleksioner?gemt=1#refleksioner")

    def _score(self, role, target, points, submitted):
        result = score_reflection(
            self.rf.course_dir,
            target.email,
            target.opgave,
            target.question_id,
            points,
            submitted,
            db_url=self.rf.db_url,
            gradebook_db=self.rf.gradebook_db,
            certificate_months=self.rf.certificate_months,
            content_dir=self.rf.content_dir,
            secret=self.secret,
        )
        with session_scope(self.rf.db_url) as s:
            pid = s.scalar(select(Person.id).where(Person.email == target.email))
            log_action(
                s,
                role.actor,
                "reflection.score",
                f"person #{pid}",
                f"{target.opgave}/{target.question_id}: {points} of {target.max_score}",
            )
        return result


def routes(settings) -> list[tuple]:
    upgrade(settings.db_url)
    kw = {"settings": settings, "secret": identity.load_secret(settings.secret_file)}
    return [
        (r"/noegleperson/?", HomeHandler, kw),
        (r"/noegleperson/status", StatusHandler, kw),
        (r"/noegleperson/refleksioner", ReflectionsHandler, kw),
    ]
