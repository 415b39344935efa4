"""Facilitator pages: planning, årshjul, exports, tick list, projector, live control.

An admin (``/login``) sees every temadag. A nøgleperson (personal link, flagged on the
staff list) sees, plans, runs and exports only temadage whose invited institutions
include her own; anything else answers 404 as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from urllib.parse import urlsplit

import tornado.web
from sqlalchemy import select

from rusfokus.progress.roster import normalise_email
from rusfokus.temadag import codes, planning, store
from rusfokus.temadag.live import LiveError
from rusfokus.temadag.models import STATUS_CONFIRMED, STATUS_PENDING
from rusfokus.temadag.questions import MODULES
from rusfokus.temadag.web import AdminMixin, BaseHandler, _same_name, may_facilitate


class AdminBase(AdminMixin, BaseHandler):
    ERROR_LINKS = (("/temadag/admin", "Gå til temadage"),)

    def row_or_404(self, session, temadag_id):
        row = store.get(session, temadag_id)
        if row is None or not self.may_see(row):  # another institution's temadag: as if it did not exist
            raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
        return row

    def visible_plans(self, session, year=None) -> list:
        role = self.role()
        plans = store.list_plans(session, year)
        if role.is_admin:
            return plans
        return [p for p in plans if may_facilitate(role, p.institutions)]

    def csrf_subject(self) -> str:
        return self.role().actor

    def scoped_plan(self, plan, existing: tuple[str, ...] = ()):
        """A nøgleperson plans only for her own institution(s): none given means hers; names
        already on the temadag may stay (a joint day set up by the rusmiddelcenter)."""
        role = self.role()
        if role.is_admin:
            return plan
        own = {_same_name(n) for n in role.institution_names}
        mine = ", ".join(role.institution_names)
        lines = tuple(dict.fromkeys(n.strip() for i in plan.institutions for n in i.splitlines() if n.strip()))
        plan = dataclasses.replace(plan, institutions=lines)  # the form takes one per line
        if not plan.institutions:
            plan = dataclasses.replace(plan, institutions=role.institution_names)
        allowed = own | {_same_name(n) for n in existing}
        outside = [i for i in plan.institutions if _same_name(i) not in allowed]
        if outside:
            raise planning.PlanningError(
                "institutions",
                "a nøgleperson may invite only her own institution",
                f"Du kan kun planlægge temadage for din egen institution ({mine}). Fjern: {', '.join(outside)}.",
            )
        if not any(_same_name(i) in own for i in plan.institutions):
            raise planning.PlanningError(
                "institutions",
                "her own institution must stay invited",
                f"Din egen institution ({mine}) skal stå på listen over inviterede.",
            )
        return plan

    def render_page(self, template: str, **kw):
        kw.setdefault("role", self.role())
        super().render_page(template, **kw)

    def public_base(self) -> str:
        """Address phones use: RUSFOKUS_BASE_URL unless it is a loopback default."""
        base = self.hub.settings.base_url.rstrip("/")
        if urlsplit(base).hostname in (None, "127.0.0.1", "localhost", "::1"):
            return f"{self.request.protocol}://{self.request.host}"
        return base


class AdminListHandler(AdminBase):
    def _page(self, role, error=None, values=None, status=200):
        today = self.hub.now().date()
        try:
            year = int(self.get_query_argument("aar", str(today.year)))
        except ValueError:
            year = today.year
        with self.db() as session:
            plans = self.visible_plans(session)
        if values is None and not role.is_admin:
            values = {"institutions": "\n".join(role.institution_names)}
        self.set_status(status)
        self.render_page(
            "admin_list.html",
            title="Temadage og årshjul",
            year=year,
            today=today,
            months=planning.aarshjul(plans, year, today),
            modules=MODULES,
            durations=planning.DURATIONS,
            error=error,
            values=values or {},
            csrf=self.csrf_token(self.csrf_subject()),
        )

    def get(self):
        self._page(self.require_facilitator())

    def post(self):
        role = self.require_facilitator()
        self.check_csrf(self.csrf_subject())
        raw = form_raw(self)
        try:
            plan = self.scoped_plan(planning.validate_plan(raw))
        except planning.PlanningError as exc:
            return self._page(role, exc, raw, 400)
        with self.db() as session:
            row = store.create(session, plan, role.who if role.is_admin else role.actor, self.hub.now())
            new_id = row.id
        self.redirect(f"/temadag/admin/{new_id}")


class ExportHandler(AdminBase):
    def get(self, kind):
        self.require_facilitator()
        today = self.hub.now().date()
        year = self.get_query_argument("aar", "")
        with self.db() as session:
            plans = self.visible_plans(session, int(year) if year.isdigit() else None)
            evaluations = {p.id: store.evaluation_summary(session, p.id) for p in plans if p.evaluations}
        name = f"temadage-{year or 'alle'}"
        if kind == "xlsx":
            self.set_header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            data = planning.export_xlsx(plans, today, evaluations)
        else:
            self.set_header("Content-Type", "text/calendar; charset=utf-8")
            host = urlsplit(self.public_base()).hostname or "rusfokus"
            data = planning.export_ics(plans, host, dt.datetime.now(dt.UTC)).encode("utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{name}.{kind}"')
        self.finish(data)


def form_values(plan) -> dict:
    """A plan as the values of the planning form."""
    return {
        "title": plan.title,
        "date": plan.date.isoformat(),
        "start": plan.start.strftime("%H:%M"),
        "duration_min": str(plan.duration_min),
        "place": plan.place,
        "modules": list(plan.modules),
        "facilitator": plan.facilitator,
        "facilitator_email": plan.facilitator_email,
        "institutions": "\n".join(plan.institutions),
        "counts_toward_module": plan.counts_toward_module,
    }


def form_raw(handler) -> dict:
    raw = {
        k: handler.get_body_argument(k, "")
        for k in ("title", "date", "start", "duration_min", "place", "facilitator", "facilitator_email", "institutions")
    }
    raw["modules"] = handler.get_body_arguments("modules")
    raw["counts_toward_module"] = handler.get_body_argument("counts_toward_module", "")
    return raw


class AdminDetailHandler(AdminBase):
    def get(self, temadag_id, error=None, values=None, status=200):
        self.require_facilitator()
        with self.db() as session:
            row = self.row_or_404(session, temadag_id)
            plan = store.to_plan(row)
            people = store.participants(session, row.id)
            checked = {p.person_id for p in people}
            roster = [
                (p.id, p.name, p.email, p.institution.name) for p in store.roster(session, row) if p.id not in checked
            ]
            participants = [
                (p.id, p.name, p.email, store.METHODS.get(p.method, p.method), p.checked_in_at.strftime("%H:%M"))
                for p in people
                if p.status == STATUS_CONFIRMED
            ]
            # code check-ins wait for the facilitator: known staff to confirm, unknown e-mails to match or reject
            pending = [
                (p.id, p.name, p.email, p.person_id is not None, p.checked_in_at.strftime("%H:%M"))
                for p in people
                if p.status != STATUS_CONFIRMED
            ]
            summary = store.evaluation_summary(session, row.id)
        self.set_status(status)
        self.render_page(
            "admin_detail.html",
            title=plan.title,
            plan=plan,
            modules=MODULES,
            participants=participants,
            pending=pending,
            roster=roster,
            summary=summary,
            status=plan.status(self.hub.now().date()),
            csrf=self.csrf_token(self.csrf_subject()),
            durations=planning.DURATIONS,
            error=error,
            values=values or form_values(plan),
        )


class EditHandler(AdminDetailHandler):
    def post(self, temadag_id):
        self.require_facilitator()
        self.check_csrf(self.csrf_subject())
        raw = form_raw(self)
        with self.db() as session:
            existing = store.institutions_of(self.row_or_404(session, temadag_id))
        try:
            plan = self.scoped_plan(planning.validate_plan(raw), existing)
        except planning.PlanningError as exc:
            return self.get(temadag_id, exc, raw, 400)
        with self.db() as session:
            row = self.row_or_404(session, temadag_id)
            store.update(session, row, plan)
            tid = row.id
        self.hub.reload(tid)  # modules may have changed: fresh live questions, on every copy
        self.redirect(f"/temadag/admin/{tid}")


class TickHandler(AdminBase):
    """The facilitator's list.

    ``person_id``: tick someone in; ``bekraeft``: confirm a pending code check-in
    (an unknown e-mail with ``person_id`` or ``match_email`` of the person it is);
    ``bekraeft_alle``: confirm every pending check-in that is on the staff list;
    ``fjern``: remove a mistaken check-in or reject a pending one.
    """

    def post(self, temadag_id):
        self.require_facilitator()
        self.check_csrf(self.csrf_subject())
        now, months = self.hub.now(), self.hub.settings.certificate_months
        removed = None
        try:
            with self.db() as session:
                row = self.row_or_404(session, temadag_id)
                tid = row.id
                remove = self.get_body_argument("fjern", "")
                confirm = self.get_body_argument("bekraeft", "")
                if remove.isdigit():
                    if store.uncheck(session, row, int(remove)):
                        removed = int(remove)
                elif confirm.isdigit():
                    participant = session.get(store.TemadagParticipant, int(confirm))
                    if participant is None or participant.temadag_id != tid:
                        raise store.CheckinError("Tjek-ind findes ikke længere.")
                    store.confirm(session, row, participant, self._chosen_person(session, row), now, months)
                elif self.get_body_argument("bekraeft_alle", ""):
                    for participant in store.participants(session, tid, STATUS_PENDING):
                        if participant.person_id is not None:
                            store.confirm(session, row, participant, None, now, months)
                else:
                    person = self._chosen_person(session, row)
                    if person is None:
                        raise store.CheckinError("Vælg en person fra listen.")
                    store.check_in(session, row, person, "liste", now, months)
        except store.CheckinError as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        if removed is not None:
            self.hub.forget(tid, removed)
        self.redirect(f"/temadag/admin/{tid}#deltagere")

    def _chosen_person(self, session, row=None):
        person_id = self.get_body_argument("person_id", "")
        person = None
        if person_id.isdigit():
            person = session.get(store.Person, int(person_id))
        else:
            email = normalise_email(self.get_body_argument("match_email", ""))
            if email:
                person = session.scalar(select(store.Person).where(store.Person.email == email))
                if person is None:
                    raise store.CheckinError(f"{email} er ikke på medarbejderlisten.")
        if person is not None and not self.role().is_admin:
            # a nøgleperson ticks in only staff of the invited institutions (never looks up others)
            if row is None or person.id not in {p.id for p in store.roster(session, row)}:
                raise store.CheckinError("Personen er ikke på listen over inviterede medarbejdere.")
        return person


class DeleteHandler(AdminBase):
    """Cancel a planned temadag. Refused once anyone has checked in (attendance is history)."""

    def post(self, temadag_id):
        self.require_facilitator()
        self.check_csrf(self.csrf_subject())
        with self.db() as session:
            row = self.row_or_404(session, temadag_id)
            if not store.delete_temadag(session, row):
                raise tornado.web.HTTPError(
                    400, reason="Temadagen kan ikke slettes, fordi der er deltagere tjekket ind."
                )
            self.hub.sessions.pop(int(temadag_id), None)
        self.redirect("/temadag/admin")


class ProjectorHandler(AdminBase):
    def get(self, temadag_id):
        self.require_facilitator()
        with self.db() as session:
            row = self.row_or_404(session, temadag_id)
            title, tid = row.title, row.id
        self.render_page("skaerm.html", title=title, temadag_id=tid)


class CodeApiHandler(AdminBase):
    """Current check-in code, its QR code (SVG) and how many have checked in."""

    def get(self, temadag_id):
        self.require_facilitator()
        now = self.hub.clock()
        with self.db() as session:
            row = self.row_or_404(session, temadag_id)
            tid, day = row.id, row.date
            count = len(store.participants(session, tid))
        code = codes.current_code(self.hub.secret, tid, now)
        base = self.public_base()
        url = f"{base}/temadag/ind?kode={code.code}"
        self.reply_json(
            {
                "code": code.code,
                "url": url,
                "svg": codes.qr_svg(url),
                "seconds_left": max(0, int(code.shown_until - now)),
                "checked_in": count,
                "today": day == self.hub.now().date(),
                "loopback": urlsplit(base).hostname in ("127.0.0.1", "localhost", "::1"),
                "date": f"{day.day}/{day.month} {day.year}",
            }
        )


class ProjectorStateHandler(AdminBase):
    """Long-poll for the projector: returns when anything (also a new answer) changed after ``since``."""

    async def get(self, temadag_id):
        self.require_facilitator()
        tid = int(temadag_id)
        with self.db() as session:
            self.row_or_404(session, tid)
        try:
            since = int(self.get_query_argument("since", "-1"))
        except ValueError:
            since = -1
        await self.hub.wait(tid, lambda: self.hub.counters(tid)[1] != since)
        if not self.request.connection.stream.closed():
            self.reply_json(self.hub.live_by_id(tid).projector_view())


class ControlHandler(AdminBase):
    def post(self, temadag_id):
        self.require_facilitator()
        self.check_json_request()
        try:
            action = str(json.loads(self.request.body or b"{}").get("action", ""))
        except (ValueError, AttributeError):
            return self.reply_json({"fejl": "Ugyldig handling."}, 400)
        try:
            with self.db() as session:  # one transaction on the shared state; NOTIFY wakes the other copies
                row = self.row_or_404(session, temadag_id)
                tid = row.id
                live = self.hub.act(row, action)
        except LiveError as exc:
            return self.reply_json({"fejl": str(exc)}, 400)
        self.hub.remember(tid, live)
        self.reply_json(live.projector_view())


ROUTES = [
    (r"/temadag/admin/?", AdminListHandler),
    (r"/temadag/admin/eksport\.(xlsx|ics)", ExportHandler),
    (r"/temadag/admin/(\d+)", AdminDetailHandler),
    (r"/temadag/admin/(\d+)/afkryds", TickHandler),
    (r"/temadag/admin/(\d+)/slet", DeleteHandler),
    (r"/temadag/admin/(\d+)/ret", EditHandler),
    (r"/temadag/admin/(\d+)/skaerm", ProjectorHandler),
    (r"/api/temadag/(\d+)/kode", CodeApiHandler),
    (r"/api/temadag/(\d+)/skaerm", ProjectorStateHandler),
    (r"/api/temadag/(\d+)/styr", ControlHandler),
]
