"""Agencies run their own tree: an agency admin adds, renames, moves and retires the units below its
agency; a new top-level agency waits for a national admin's approval. Every change is an AgencyChange
sealed into the audit trail (chain "agency").

Who may change what: a national admin anything; an agency admin the agencies strictly below an agency
it administers (its own agency is its parent's to change), and adds units under its own agency or
below. A unit admin, a liaison officer or a head changes nothing; nobody reaches outside their subtree.

A retired unit (is_active False) leaves routing, dispatch and every picker (they read
Agency.objects.active()) but keeps its reports, events and clocks. It may be retired only once it
holds no open report: the complaints app counts them (OPEN_REPORT_COUNTERS, registered from its
AppConfig, so this module never imports it) and moves them through the workflow.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Agency, AgencyChange, Approval, Role
from .roles import is_national_admin, staff_agencies

Kind = Agency.Kind
# The kinds an agency admin adds under its agency; the first that fits the parent is the default.
UNIT_KINDS = (Kind.OPD, Kind.UNIT)
TOP_LEVEL_KINDS = (Kind.COORDINATOR, Kind.MINISTRY, Kind.VERTICAL, Kind.PROVINCE)
NAME_MAX = 255

# Callables (agency) -> the number of open reports held in its subtree (the complaints app registers one).
OPEN_REPORT_COUNTERS: list[Callable[[Agency], int]] = []


class UnitError(Exception):
    """A refused change to the tree; str(error) is a translated message for the user."""


class HoldsOpenReports(UnitError):
    def __init__(self, agency: Agency, count: int):
        self.agency, self.count = agency, count
        super().__init__(
            ngettext(
                "%(agency)s masih memegang %(n)s laporan terbuka: pindahkan dahulu ke unit lain, lalu nonaktifkan.",
                "%(agency)s masih memegang %(n)s laporan terbuka: pindahkan dahulu ke unit lain, lalu nonaktifkan.",
                count,
            )
            % {"agency": agency.name, "n": count}
        )


def admin_agencies(user) -> list[Agency]:
    return staff_agencies(user, {Role.AGENCY_ADMIN})


def may_add_under(user, parent: Agency) -> bool:
    """Whether `user` may add a unit under `parent` (its own agency included)."""
    if is_national_admin(user):
        return True
    return parent.is_in_any_subtree_of(admin_agencies(user))


def may_change(user, unit: Agency) -> bool:
    """Whether `user` may rename, move or retire `unit`: strictly below an agency they administer."""
    if is_national_admin(user):
        return True
    return any(unit.pk != a.pk and unit.is_in_subtree_of(a) for a in admin_agencies(user))


def changeable(user):
    """The agencies `user` may change (a queryset; national admins: all)."""
    if is_national_admin(user):
        return Agency.objects.all()
    own = admin_agencies(user)
    return Agency.objects.subtrees_of(own).exclude(pk__in=[a.pk for a in own])


def _record(action: str, agency: Agency, by, **data) -> AgencyChange:
    change = AgencyChange(action=action, agency=agency, by=by, data=data)
    change.save()
    return change


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise UnitError(_("Nama unit wajib diisi."))
    if len(name) > NAME_MAX:
        raise UnitError(_("Nama unit paling panjang %(n)s karakter.") % {"n": NAME_MAX})
    return name


def _free_code(wanted: str, base: str) -> str:
    code = slugify(wanted or base)[:60].strip("-")
    if not code:
        raise UnitError(_("Kode instansi tidak sah: pakai huruf, angka dan tanda hubung."))
    if wanted:
        if Agency.objects.filter(code=code).exists():
            raise UnitError(_("Kode %(code)s sudah dipakai instansi lain.") % {"code": code})
        return code
    candidate, n = code, 2
    while Agency.objects.filter(code=candidate).exists():
        candidate = f"{code[:56]}-{n}"
        n += 1
    return candidate


def default_kind(parent: Agency) -> str:
    return Kind.UNIT if parent.kind in (Kind.OPD, Kind.UNIT, Kind.VERTICAL) else Kind.OPD


@transaction.atomic
def add_unit(by, parent: Agency, name: str, *, kind: str = "", code: str = "") -> Agency:
    """A new unit (OPD or unit kerja) under `parent`, in its region and time zone."""
    if not may_add_under(by, parent):
        raise UnitError(_("Anda hanya dapat menambah unit di bawah instansi yang Anda kelola."))
    parent = Agency.objects.get(pk=parent.pk)  # as stored now (a colleague may have retired it)
    if not parent.is_active:
        raise UnitError(_("Instansi induk tidak aktif."))
    kind = kind or default_kind(parent)
    if kind not in UNIT_KINDS:
        raise UnitError(_("Jenis unit tidak sah."))
    name = _clean_name(name)
    code = _free_code(code, f"{parent.code}-{name}")
    try:
        with transaction.atomic():
            unit = Agency.objects.create(
                code=code, name=name, kind=kind, parent=parent, region=parent.region, timezone=parent.timezone
            )
    except IntegrityError:
        raise UnitError(_("Kode %(code)s sudah dipakai instansi lain.") % {"code": code}) from None
    _record(AgencyChange.Action.ADD, unit, by, name=name, kind=kind, parent=parent.pk)
    return unit


@transaction.atomic
def rename(by, unit: Agency, name: str) -> Agency:
    if not may_change(by, unit):
        raise UnitError(_("Anda hanya dapat mengubah unit di bawah instansi yang Anda kelola."))
    name = _clean_name(name)
    if name == unit.name:
        raise UnitError(_("Nama baru sama dengan nama sekarang."))
    old = unit.name
    unit.name = name
    unit.save()
    _record(AgencyChange.Action.RENAME, unit, by, old=old, new=name)
    return unit


def open_reports(unit: Agency) -> int:
    """Open reports held anywhere in the unit's subtree (what the complaints app counts)."""
    return sum(count(unit) for count in OPEN_REPORT_COUNTERS)


@transaction.atomic
def retire(by, unit: Agency) -> Agency:
    """Retire a unit: out of routing, dispatch and pickers, with its history kept. Refused while it
    has active sub-units or holds open reports (HoldsOpenReports, with their number)."""
    if not may_change(by, unit):
        raise UnitError(_("Anda hanya dapat mengubah unit di bawah instansi yang Anda kelola."))
    given, unit = unit, Agency.objects.select_for_update().get(pk=unit.pk)
    if not unit.is_active:
        raise UnitError(_("Unit ini sudah tidak aktif."))
    active_below = Agency.objects.subtree_of(unit).exclude(pk=unit.pk).filter(is_active=True).count()
    if active_below:
        raise UnitError(
            ngettext(
                "%(agency)s masih membawahi %(n)s unit aktif: nonaktifkan atau pindahkan unit itu dahulu.",
                "%(agency)s masih membawahi %(n)s unit aktif: nonaktifkan atau pindahkan unit itu dahulu.",
                active_below,
            )
            % {"agency": unit.name, "n": active_below}
        )
    held = open_reports(unit)
    if held:
        raise HoldsOpenReports(unit, held)
    unit.is_active = given.is_active = False
    unit.save()
    _record(AgencyChange.Action.RETIRE, unit, by)
    return unit


@transaction.atomic
def move(by, unit: Agency, new_parent: Agency) -> Agency:
    """Move a unit (with its subtree) under another parent inside the mover's reach. Its reports keep
    their events and clocks; their visibility follows the tree (Agency.save rewrites the paths)."""
    if not may_change(by, unit):
        raise UnitError(_("Anda hanya dapat mengubah unit di bawah instansi yang Anda kelola."))
    if not may_add_under(by, new_parent):
        raise UnitError(_("Induk baru harus berada di bawah instansi yang Anda kelola."))
    unit, new_parent = Agency.objects.select_for_update().get(pk=unit.pk), Agency.objects.get(pk=new_parent.pk)
    if new_parent.is_in_subtree_of(unit):
        raise UnitError(_("Unit tidak dapat dipindahkan ke bawah dirinya sendiri."))
    if not new_parent.is_active:
        raise UnitError(_("Instansi induk tidak aktif."))
    if new_parent.pk == unit.parent_id:
        raise UnitError(_("Unit ini sudah berada di bawah induk tersebut."))
    old_parent = unit.parent_id
    unit.parent = new_parent
    unit.save()
    _record(AgencyChange.Action.MOVE, unit, by, old_parent=old_parent, new_parent=new_parent.pk)
    return unit


# --- New top-level agencies ---


@transaction.atomic
def propose_top_level(by, name: str, kind: str, *, code: str = "") -> Agency:
    """A new agency at the top of the tree: a national admin's is active at once; any other agency
    admin's waits (inactive, out of routing) for a national admin's approval."""
    national = is_national_admin(by)
    if not national and not admin_agencies(by):
        raise UnitError(_("Hanya admin instansi yang dapat mengusulkan instansi baru."))
    if kind not in TOP_LEVEL_KINDS:
        raise UnitError(_("Jenis instansi tingkat atas tidak sah."))
    name = _clean_name(name)
    code = _free_code(code, name)
    agency = Agency.objects.create(
        code=code,
        name=name,
        kind=kind,
        is_active=national,
        approval=Approval.APPROVED if national else Approval.PENDING,
    )
    _record(AgencyChange.Action.ADD if national else AgencyChange.Action.PROPOSE, agency, by, name=name, kind=kind)
    return agency


def pending():
    return Agency.objects.filter(approval=Approval.PENDING).order_by("pk")


@transaction.atomic
def decide(by, agency: Agency, *, approve: bool, reason: str = "") -> Agency:
    """A national admin approves (active, routable) or rejects (kept inactive, for the record) a
    proposed top-level agency."""
    if not is_national_admin(by):
        raise UnitError(_("Hanya Admin Nasional yang menyetujui instansi baru."))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.approval != Approval.PENDING:
        raise UnitError(_("Usulan ini sudah diputuskan."))
    reason = " ".join((reason or "").split())[:500]
    if not approve and not reason:
        raise UnitError(_("Tuliskan alasan penolakan."))
    agency.approval = Approval.APPROVED if approve else Approval.REJECTED
    agency.is_active = approve
    agency.save()
    _record(AgencyChange.Action.APPROVE if approve else AgencyChange.Action.REJECT, agency, by, reason=reason)
    return agency
