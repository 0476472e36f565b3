"""A national-scale data set for benchmarks: N reports over three years with their history.

    python manage.py seed_scale --reports 2000000 [--seed 1] [--units-per-regency 20]

Adds, on top of the reference data: an agency tree of thousands of units (a government, OPDs and
units for every one of the 514 regencies/cities), citizens (about one per two reports), and
reports in every status with events, clocks, handling rows and attachment metadata (no files).
Rows are generated in chunks and written with PostgreSQL COPY (executemany on SQLite, for tests),
so memory stays flat and two million reports load in minutes. Deterministic for a given --seed.
Run it on an empty or demo database; it appends (new tracking numbers, new users).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, District, Region, Village
from complaints import seed_text, status_counts
from complaints.models import (
    CLOSED_STATUSES,
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    Attachment,
    Category,
    Clock,
    Event,
    Report,
    ReportAgency,
    Status,
)
from lapor import refcache

CHUNK = 20_000
OPD_NAMES = [
    "Dinas Kesehatan",
    "Dinas Pendidikan",
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Dinas Lingkungan Hidup",
    "Dinas Perhubungan",
    "Dinas Sosial",
    "Satuan Polisi Pamong Praja",
]
UNIT_NAMES = ["Puskesmas", "SD Negeri", "Kelurahan", "UPT", "SMP Negeri"]
# Share of reports by status, then the path of actions that leads there.
STATUS_MIX = [
    (Status.COMPLETED, 0.55),
    (Status.RESPONDED, 0.06),
    (Status.IN_PROGRESS, 0.09),
    (Status.DISPATCHED, 0.07),
    (Status.VERIFIED, 0.02),
    (Status.SUBMITTED, 0.03),
    (Status.ON_HOLD, 0.02),
    (Status.RETURNED, 0.01),
    (Status.ARCHIVED, 0.10),
    (Status.REMOVED, 0.05),
]
PATH = {
    Status.SUBMITTED: ["submit"],
    Status.ON_HOLD: ["submit", "hold"],
    Status.VERIFIED: ["submit", "verify"],
    Status.DISPATCHED: ["submit", "verify", "dispatch"],
    Status.IN_PROGRESS: ["submit", "verify", "dispatch", "follow_up"],
    Status.RETURNED: ["submit", "verify", "dispatch", "return"],
    Status.RESPONDED: ["submit", "verify", "dispatch", "follow_up", "respond"],
    Status.COMPLETED: ["submit", "verify", "dispatch", "follow_up", "respond", "accept"],
    Status.ARCHIVED: ["submit", "archive"],
    Status.REMOVED: ["submit", "remove"],
}
TO_STATUS = {
    "submit": "submitted",
    "hold": "on_hold",
    "verify": "verified",
    "dispatch": "dispatched",
    "follow_up": "in_progress",
    "return": "returned",
    "respond": "responded",
    "accept": "completed",
    "archive": "archived",
    "remove": "removed",
}
# Which of a regency's OPDs (OPD_NAMES position) handles each top-level category; the reports' text
# comes from complaints.seed_text (#16 item 7: worded as citizens write, not naming the category).
TOPICS = {
    "kesehatan": 0,
    "pendidikan": 1,
    "infrastruktur": 2,
    "kependudukan": 3,
    "lingkungan": 4,
    "perhubungan": 5,
    "sosial": 6,
    "ketertiban": 7,
    "ketenagakerjaan": 6,
    "pajak-keuangan": 3,
    "pertanahan": 2,
    "energi": 2,
    "pelayanan-publik": 3,
    "korupsi": 7,
    "bencana": 4,
    "agama": 1,
    "lainnya": 5,
}


def _text(value) -> str:
    """One value in COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    """Buffers rows for one table and flushes them with COPY (PostgreSQL) or executemany."""

    def __init__(self, model, columns):
        self.table = model._meta.db_table
        self.columns = columns
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: tuple):
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self):
        if not self.rows:
            return
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                buf = io.StringIO("".join("\t".join(_text(v) for v in row) + "\n" for row in self.rows))
                cur.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", buf)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                rows = [tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in r) for r in self.rows]
                cur.executemany(f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})", rows)
        self.count += len(self.rows)
        self.rows = []


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequence(model):
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


class Command(BaseCommand):
    help = "Membuat data skala nasional untuk uji kinerja (COPY di PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--units-per-regency", type=int, default=20)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument(
            "--regencies",
            type=int,
            default=0,
            help="only the first N regencies get reports: per-regency density of a larger country "
            "(bench/duplicates.py: 100,000 reports in 26 regencies ≈ 2,000,000 in 514)",
        )

    def handle(self, *args, **opts):
        if not Region.objects.filter(level="regency").exists():
            self.stderr.write("Jalankan `manage.py load_reference` terlebih dahulu.")
            return
        self.rng = random.Random(opts["seed"])
        started = time.monotonic()
        with transaction.atomic():
            handlers = self.agency_tree(opts["units_per_regency"])
        self.stdout.write(f"Instansi: {Agency.objects.count()} ({time.monotonic() - started:.0f} s)")
        with transaction.atomic():
            citizens = self.citizens(max(1, opts["reports"] // 2))
        self.stdout.write(f"Warga: {len(citizens)} ({time.monotonic() - started:.0f} s)")
        with transaction.atomic():
            counts = self.reports(opts["reports"], opts["years"], handlers, citizens, opts["regencies"])
        for model in (User, Agency, Report, Event, Clock, ReportAgency, Attachment):
            _reset_sequence(model)
        status_counts.rebuild()  # the bulk rows bypassed the workflow's counters
        refcache.bump()  # and the agency tree's signals
        if connection.vendor == "postgresql":
            # Vacuumed as autovacuum would leave a live database: statistics, and visibility maps that let
            # index-only scans skip the heap (VACUUM cannot run inside a transaction, e.g. a test's).
            with connection.cursor() as cur:
                cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        self.stdout.write(
            self.style.SUCCESS(
                "Laporan: {reports}, riwayat: {events}, tenggat: {clocks}, lampiran: {attachments} ".format(**counts)
                + f"dalam {time.monotonic() - started:.0f} s"
            )
        )

    # --- Agencies: a government, OPDs and units in every regency/city ---

    def agency_tree(self, per_regency: int) -> list[tuple[int, str, int]]:
        """Returns handling units as (agency id, path, regency index)."""
        self.regencies = list(Region.objects.filter(level="regency").select_related("parent").order_by("code"))
        provinces = {a.region_id: a for a in Agency.objects.filter(kind="province")}
        existing = set(Agency.objects.values_list("code", flat=True))
        next_id = _next_id(Agency)
        cols = [
            "id",
            "code",
            "name",
            "kind",
            "parent_id",
            "path",
            "depth",
            "region_id",
            "timezone",
            "answers_need_approval",
            "is_active",
        ]
        writer = Writer(Agency, cols)
        handlers = []
        for index, regency in enumerate(self.regencies):
            code = f"scale-{regency.code}"
            if code in existing:
                continue
            province = provinces.get(regency.parent_id)
            parent_path = province.path if province else ""
            gov_id, next_id = next_id, next_id + 1
            gov_path = f"{parent_path}{gov_id:07d}."
            writer.add(
                (
                    gov_id,
                    code,
                    f"Pemerintah {regency.name} (skala)",
                    "regency",
                    province and province.pk,
                    gov_path,
                    gov_path.count(".") - 1,
                    regency.code,
                    regency.timezone,
                    False,
                    True,
                )
            )
            opds = max(1, per_regency // 3)
            for o in range(opds):
                opd_id, next_id = next_id, next_id + 1
                opd_path = f"{gov_path}{opd_id:07d}."
                writer.add(
                    (
                        opd_id,
                        f"{code}-opd{o}",
                        f"{OPD_NAMES[o % len(OPD_NAMES)]} {regency.name}",
                        "opd",
                        gov_id,
                        opd_path,
                        opd_path.count(".") - 1,
                        regency.code,
                        regency.timezone,
                        False,
                        True,
                    )
                )
                handlers.append((opd_id, opd_path, index, o))
                for u in range(max(0, (per_regency - 1 - opds) // opds)):
                    unit_id, next_id = next_id, next_id + 1
                    unit_path = f"{opd_path}{unit_id:07d}."
                    writer.add(
                        (
                            unit_id,
                            f"{code}-opd{o}-u{u}",
                            f"{UNIT_NAMES[u % len(UNIT_NAMES)]} {u + 1} {regency.name}",
                            "unit",
                            opd_id,
                            unit_path,
                            unit_path.count(".") - 1,
                            regency.code,
                            regency.timezone,
                            False,
                            True,
                        )
                    )
        writer.flush()
        if not handlers:  # already seeded: reuse the scale OPDs
            index_of = {r.code: i for i, r in enumerate(self.regencies)}
            scale_opds = Agency.objects.filter(code__startswith="scale-", kind="opd").only(
                "pk", "path", "region_id", "code"
            )
            handlers = [
                (a.pk, a.path, index_of.get(a.region_id, 0), int(a.code.rsplit("-opd", 1)[1])) for a in scale_opds
            ]
        return handlers

    # --- Citizens ---

    def citizens(self, n: int) -> list[int]:
        start = _next_id(User)
        cols = [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "phone",
            "full_name",
            "display_name",
            "nik",
            "language",
            "email_verified",
            "is_staff",
            "is_active",
            "date_joined",
            "email_token",
        ]
        writer = Writer(User, cols)
        joined = timezone.now() - dt.timedelta(days=1200)
        for i in range(n):
            uid = start + i
            writer.add(
                (
                    uid,
                    "!",
                    None,
                    False,
                    f"warga{uid}@scale.lapor.test",
                    "",
                    f"Warga {uid}",
                    "",
                    "",
                    "id",
                    True,
                    False,
                    True,
                    joined,
                    "",  # no verification link outstanding
                )
            )
        writer.flush()
        return list(range(start, start + n))

    # --- Reports and their history ---

    def places(self) -> dict:
        """Districts by regency and villages by district (empty without the area reference data)."""
        districts, villages, names = {}, {}, {}
        for code, regency, name in District.objects.values_list("pk", "regency_id", "name").iterator(chunk_size=5000):
            districts.setdefault(regency, []).append(code)
            names[code] = name
        for code, district in Village.objects.values_list("pk", "district_id").iterator(chunk_size=5000):
            villages.setdefault(district, []).append(code)
        return {"districts": districts, "villages": villages, "names": names, "centres": {}}

    def place(self, regency, places) -> dict:
        """Seven in ten reports carry a pin, scattered about 10 km around a point of their regency (its
        box's centre where the reference data has one, else a point of Indonesia drawn once per regency);
        three in four a district, two in three of those a village."""
        rng = self.rng
        centre = places["centres"].get(regency.code)
        if centre is None:
            box = regency.box or (regency.parent.box if regency.parent else None)
            if box:
                centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            else:
                centre = (rng.uniform(-8.5, 4.5), rng.uniform(96.0, 140.0))
            places["centres"][regency.code] = centre
        values = {"latitude": None, "longitude": None, "kecamatan_id": None, "kelurahan_id": None}
        if rng.random() < 0.7:
            values["latitude"] = round(min(6.0, max(-11.0, rng.gauss(centre[0], 0.1))), 6)
            values["longitude"] = round(min(141.0, max(95.0, rng.gauss(centre[1], 0.1))), 6)
        districts = places["districts"].get(regency.code)
        if districts and rng.random() < 0.75:
            values["kecamatan_id"] = rng.choice(districts)
            villages = places["villages"].get(values["kecamatan_id"])
            if villages and rng.random() < 0.66:
                values["kelurahan_id"] = rng.choice(villages)
        return values

    def reports(self, n: int, years: int, handlers, citizens, regencies: int = 0) -> dict:
        rng = self.rng
        now = timezone.now()
        span = years * 365 * 86400
        categories = list(
            Category.objects.filter(parent__isnull=False).values_list("pk", "code", "parent__code", named=True)
        )
        # Each regency's OPDs by their OPD_NAMES position: a report goes to the one its topic belongs to.
        opds: dict[int, dict[int, int]] = {}
        for opd_id, _path, regency_index, position in handlers:
            opds.setdefault(regency_index, {})[position] = opd_id
        regency_indexes = sorted(opds)[: regencies or None]
        statuses = [s for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        report_cols = [f.column for f in Report._meta.concrete_fields]
        places = self.places()
        event_cols = [
            "id",
            "report_id",
            "actor_id",
            "action",
            "from_status",
            "to_status",
            "agency_id",
            "target_agency_id",
            "public_note",
            "internal_note",
            "is_public",
            "data",
            "created_at",
        ]
        clock_cols = [
            "id",
            "report_id",
            "kind",
            "agency_id",
            "state",
            "limit_days",
            "calendar_days",
            "started_at",
            "due_at",
            "paused_at",
            "remaining_days",
            "stopped_at",
            "next_check_at",
        ]
        # The report's status and due time (seeded reports are real: is_practice keeps its default).
        handling_cols = ["id", "report_id", "agency_id", "kind", "created_at", "status", "due_at"]
        attach_cols = [
            "id",
            "report_id",
            "event_id",
            "file",
            "original_name",
            "content_type",
            "size",
            "uploaded_by_id",
            "created_at",
        ]
        reports, events = Writer(Report, report_cols), Writer(Event, event_cols)
        clocks, handlings = Writer(Clock, clock_cols), Writer(ReportAgency, handling_cols)
        attachments = Writer(Attachment, attach_cols)
        rid, eid, cid, hid, aid = (_next_id(m) for m in (Report, Event, Clock, ReportAgency, Attachment))
        used = set(Report.objects.values_list("tracking_no", flat=True)) if Report.objects.exists() else set()
        day = dt.timedelta(days=1)
        # Older reports are mostly closed; open ones are recent. A live system stores reports as they come,
        # so ids and the table's physical order follow created_at: draw every report's status and age first,
        # then write them oldest first (a date range then reads neighbouring pages, as it would in production).
        draws = []
        for _ in range(n):
            status = rng.choices(statuses, weights)[0]
            draws.append((rng.random() * (span if status in CLOSED_STATUSES else 60 * 86400), status))
        draws.sort(key=lambda draw: -draw[0])
        for i, (age, status) in enumerate(draws):
            created = now - dt.timedelta(seconds=age)
            regency_index = rng.choice(regency_indexes)
            regency = self.regencies[regency_index]
            category = rng.choice(categories)
            mine = opds[regency_index]
            position = TOPICS.get(category.parent__code, category.pk) % len(OPD_NAMES)
            handler_id = mine.get(position) or mine[sorted(mine)[category.pk % len(mine)]]
            place = self.place(regency, places)
            district = places["names"].get(place["kecamatan_id"], "")
            title, body = seed_text.story(rng, category.code, regency=regency.name, district=district)
            tracking = "".join(rng.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
            while tracking in used:
                tracking = "".join(rng.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
            used.add(tracking)
            classification = rng.choice(["complaint", "complaint", "complaint", "aspiration", "information"])
            steps = PATH[status]
            moments, t = [], created
            for _step in steps:
                moments.append(min(t, now))
                t += dt.timedelta(hours=rng.randint(4, 96))
            when = dict(zip(steps, moments))
            dispatched = "dispatch" in when
            closed = when.get("accept") or when.get("archive") or when.get("remove")
            open_ = closed is None
            due = (created + 5 * day) if open_ else None
            anonymous, confidential = rng.random() < 0.15, rng.random() < 0.05
            values = {
                "id": rid,
                "tracking_no": tracking,
                "classification": classification,
                "complaint_kind": "normative" if classification == "complaint" and "verify" in when else "",
                "is_formal_info_request": False,
                "title": title[:200],
                "original_title": "",
                "body": body,
                "event_date": (created - day).date(),
                "province_id": regency.parent_id,
                "regency_id": regency.code,
                "district": "",
                **place,
                "category_id": category.pk,
                "tags": [],
                "channel": rng.choice(["web", "web", "web", "mobile", "sms", "social", "integrated"]),
                "is_anonymous": anonymous,
                "is_confidential": confidential,
                "reporter_id": rng.choice(citizens),
                "reporter_name": "",
                "reporter_contact": "",
                "entered_by_id": None,
                "suggested_agency_id": None,
                "agency_id": handler_id if dispatched else None,
                "routed_by_id": None,
                "status": status.value,
                "held_from": "submitted" if status == Status.ON_HOLD else "",
                "close_reason": {"archive": "out_of_scope", "remove": "spam"}.get(steps[-1], ""),
                "due_at": due,
                "created_at": created,
                "updated_at": moments[-1],
                "verified_at": when.get("verify"),
                "dispatched_at": when.get("dispatch"),
                "first_follow_up_at": when.get("follow_up"),
                "responded_at": when.get("respond"),
                "closed_at": closed,
                "merged_into_id": None,
                "sandbox_id": None,  # never a practice report (a training sandbox writes its own)
                "bounce_count": 1 if status == Status.RETURNED else 0,
                "reopen_count": 0,
                "rating": rng.choice([2, 3, 4, 4, 5, 5]) if "accept" in when else None,
                "rating_comment": "",
                "auto_completed": False,
                "support_count": 0,
                "comment_count": 0,
                "submission_key": None,
            }
            reports.add(tuple(values[c] for c in report_cols))
            prev = ""
            for step in steps:
                to = TO_STATUS[step]
                events.add(
                    (
                        eid,
                        rid,
                        None,
                        step,
                        prev,
                        to,
                        handler_id if dispatched and step != "submit" else None,
                        handler_id if step == "dispatch" else None,
                        "",
                        "",
                        True,
                        {},
                        when[step],
                    )
                )
                eid += 1
                prev = to
            # Clocks: verification for all; first follow-up and resolution once dispatched.
            ver_end = when.get("dispatch") or closed
            clocks.add(self._clock(cid, rid, "verification", None, created, 3, ver_end, now))
            cid += 1
            if dispatched:
                ffu_end = when.get("follow_up") or when.get("respond") or (closed if not open_ else None)
                clocks.add(self._clock(cid, rid, "first_follow_up", handler_id, when["dispatch"], 5, ffu_end, now))
                res_end = when.get("respond") or (closed if not open_ else None)
                clocks.add(self._clock(cid + 1, rid, "resolution", handler_id, when["dispatch"], 14, res_end, now))
                cid += 2
                handlings.add((hid, rid, handler_id, "handler", when["dispatch"], status.value, due))
                hid += 1
            if rng.random() < 0.3:
                attachments.add(
                    (
                        aid,
                        rid,
                        None,
                        f"reports/scale/{rid}.jpg",
                        "foto.jpg",
                        "image/jpeg",
                        rng.randint(50_000, 2_000_000),
                        None,
                        created,
                    )
                )
                aid += 1
            rid += 1
            if i and i % 200_000 == 0:
                self.stdout.write(f"  … {i} laporan")
        for w in (reports, events, clocks, handlings, attachments):
            w.flush()
        return {
            "reports": reports.count,
            "events": events.count,
            "clocks": clocks.count,
            "attachments": attachments.count,
        }

    def _clock(self, cid, rid, kind, agency_id, start, days, end, now):
        # Working days approximated as 7/5 calendar days: exact calendars are not what a benchmark measures.
        due = start + dt.timedelta(days=days * 7 / 5)
        if end is None:
            state = "missed" if due < now else "running"
            return (
                cid,
                rid,
                kind,
                agency_id,
                state,
                days,
                False,
                start,
                due,
                None,
                None,
                None,
                due - dt.timedelta(days=1) if state == "running" else None,
            )
        state = "met" if end <= due else "missed"
        return (cid, rid, kind, agency_id, state, days, False, start, due, None, None, end, None)
