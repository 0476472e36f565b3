"""Default routing: whose verification queue a report lands in when nobody chose an agency.

One rule for every channel (web form, staff entry, the API, Open311): workflow.submit asks `route`
whenever a report arrives without a target. In order:

1. a RoutingRule for the category and the regency/city (a pilot region's OPD: health → Dinas
   Kesehatan), else for the category and the province;
2. a RoutingRule for the category without a region: the ministry or national institution of a
   national-level category (land certificates → ATR/BPN);
3. by the category's level: the government of the regency/city where it happened, or of its province;
4. nobody (the national admins' queue) only if even that government is missing or inactive.

Rules and levels are data (complaints/data/routing.csv and categories.csv, loaded by
`manage.py load_reference`, edited in the admin).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from lapor import refcache
from lapor.prepared import Prepared

from .models import Action, Category, RoutingRule


class Reason(models.TextChoices):
    """Why a report landed where it did, recorded on its submit event and told to the citizen."""

    CHOSEN = "chosen", _("Instansi ini dipilih saat laporan dikirim.")
    RULE = "rule", _("Menurut aturan disposisi LAPOR!, instansi ini menangani kategori tersebut di wilayah ini.")
    NATIONAL = "national", _("Kategori ini ditangani di tingkat nasional oleh instansi ini.")
    PROVINCE = "province", _("Kategori ini menjadi kewenangan pemerintah provinsi tempat kejadian.")
    REGENCY = "regency", _("Laporan diarahkan ke pemerintah kabupaten/kota tempat kejadian.")
    NONE = "none", _("Belum ada instansi yang ditetapkan; Admin Nasional LAPOR! akan memilihkannya.")


def route(category: Category, province, regency) -> tuple[Agency | None, Reason]:
    """The agency a report about `category` in `regency` (of `province`) goes to by default, and why.
    The candidates in order, and their rows, come from the routing table kept in memory with the
    reference data (lapor/refcache: a saved or deleted rule or agency rebuilds it); which of them is
    active is read from the database every time, in one query built once per process and planned by
    PostgreSQL once per connection (rows by their keys: lapor/prepared.py): an agency switched off in
    bulk (a queryset update, no signal) is passed over at once."""
    table = refcache.get("routing-table", _routing_table)
    candidates = _candidates(table, category, province, regency)
    if not candidates:
        return None, Reason.NONE
    active = {pk for (pk,) in _ACTIVE.rows(ids=sorted({pk for pk, _reason in candidates}))}
    for pk, reason in candidates:
        if pk in active:
            agency = Agency.from_db("default", AGENCY_FIELDS, table["agencies"][pk])
            agency.is_active = True  # as just read
            return agency, reason
    return None, Reason.NONE


def _candidates(table: dict, category: Category, province, regency) -> list[tuple[int, Reason]]:
    """(agency id, reason) pairs in the order of the rules above, whether active or not."""
    rules = table["rules"]
    result = [
        (rules[category.pk, region_id], reason)
        for region_id, reason in ((regency.pk, Reason.RULE), (province.pk, Reason.RULE), (None, Reason.NATIONAL))
        if (category.pk, region_id) in rules
    ]
    if category.level == Category.Level.PROVINCE:
        places = [(province.pk, Agency.Kind.PROVINCE, Reason.PROVINCE)]
    else:
        # A regency-level category, or a national one without a national rule: the place's government.
        places = [
            (regency.pk, Agency.Kind.REGENCY, Reason.REGENCY),
            (province.pk, Agency.Kind.PROVINCE, Reason.PROVINCE),
        ]
    for region_id, kind, reason in places:
        result.extend((pk, reason) for pk in table["governments"].get((region_id, kind), ()))
    return result


AGENCY_FIELDS = [field.attname for field in Agency._meta.concrete_fields]
_ACTIVE = Prepared(lambda ids: Agency.objects.filter(pk__in=ids, is_active=True).values_list("pk"), keep_plan=True)


def _routing_table() -> dict:
    """Every routing rule, (category id, region id or None) → agency id; the governments of each
    region, (region id, kind) → agency ids by depth then id; and the rows (AGENCY_FIELDS) of all
    these agencies, active or not."""
    rules = {
        (category_id, region_id): agency_id
        for category_id, region_id, agency_id in RoutingRule.objects.values_list(
            "category_id", "region_id", "agency_id"
        )
    }
    governments: dict[tuple, list[int]] = {}
    agencies = {}
    kinds = [Agency.Kind.REGENCY, Agency.Kind.PROVINCE]
    for row in (
        Agency.objects.filter(Q(kind__in=kinds, region__isnull=False) | Q(pk__in=set(rules.values())))
        .order_by("depth", "pk")
        .values_list(*AGENCY_FIELDS)
    ):
        agency = dict(zip(AGENCY_FIELDS, row, strict=True))
        agencies[agency["id"]] = row
        if agency["kind"] in kinds and agency["region_id"] is not None:
            governments.setdefault((agency["region_id"], agency["kind"]), []).append(agency["id"])
    return {"rules": rules, "governments": governments, "agencies": agencies}


# Actions after which a report is held by another agency, with what the citizen is told.
MOVES = {
    Action.DISPATCH: _("Admin mendisposisikan laporan ke instansi ini setelah verifikasi."),
    Action.FORWARD: _("%(source)s meneruskan laporan ke unit kerja ini."),
    Action.TRANSFER: _("%(source)s mengalihkan laporan ke instansi ini."),
    Action.RETURN: _("%(source)s mengembalikan laporan karena bukan wewenangnya."),
}


def holding_reason(report, events) -> str:
    """Why the agency that holds `report` now holds it, in the citizen's words: the routing reason
    of its submission, or the last dispatch, forward, transfer or return (with its public note).
    `events` are the report's public events in order, with their agencies loaded."""
    reason, source = "", None
    for event in events:
        if event.action == Action.SUBMIT:
            code = event.data.get("routing")
            reason = str(Reason(code).label) if code in Reason.values else ""
        elif event.action in MOVES:
            name = source.name if source is not None else str(_("Admin LAPOR!"))
            reason = str(MOVES[event.action]) % {"source": name}
            if event.action in (Action.TRANSFER, Action.RETURN) and event.public_note:
                reason = str(_("%(move)s Alasan: %(note)s")) % {"move": reason, "note": event.public_note}
        source = event.agency
    if report.agency_id is None and not reason:
        return str(Reason.NONE.label)
    return reason
