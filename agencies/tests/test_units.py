"""Units (#19 item 4): an agency admin adds, renames, moves and retires the units below its agency —
the matrix extended to the admin of the agency, of a parent, of a sibling and a unit admin — a new
top-level agency waits for a national admin's approval, and every change is in the audit trail."""

import pytest

from agencies import units
from agencies.models import Agency, AgencyChange, Approval
from lapor import audit

# (who, what, target, allowed): the admin of the agency (Badung), of its parent (Bali), of a sibling
# (Sleman), a unit admin (of Dinkes), a national admin.
MATRIX = [
    ("agency_admin", "add", "dinkes", True),
    ("agency_admin", "add", "badung", True),  # under its own agency
    ("agency_admin", "rename", "dinkes", True),
    ("agency_admin", "rename", "unit", True),
    ("agency_admin", "rename", "badung", False),  # its own agency is its parent's to change
    ("agency_admin", "retire", "unit", True),
    ("agency_admin", "add", "bali", False),
    ("agency_admin", "rename", "sleman", False),
    ("parent_admin", "add", "dinkes", True),
    ("parent_admin", "rename", "badung", True),
    ("parent_admin", "retire", "unit", True),
    ("parent_admin", "rename", "sleman", False),
    ("sibling_admin", "add", "dinkes", False),
    ("sibling_admin", "rename", "dinkes", False),
    ("sibling_admin", "retire", "unit", False),
    ("unit_admin", "add", "dinkes", False),
    ("unit_admin", "rename", "unit", False),
    ("unit_admin", "retire", "unit", False),
    ("liaison", "rename", "unit", False),
    ("head", "add", "badung", False),
    ("national_admin", "rename", "sleman", True),
    ("national_admin", "retire", "unit", True),
]


def _do(actor, what, agency):
    if what == "add":
        return units.add_unit(actor, agency, "UPT Laboratorium Kesehatan")
    if what == "rename":
        return units.rename(actor, agency, "Nama Baru Instansi")
    return units.retire(actor, agency)


@pytest.mark.parametrize(("who", "what", "where", "allowed"), MATRIX)
def test_the_units_matrix(request, tree, who, what, where, allowed):
    actor = request.getfixturevalue(who)
    target = tree[where]
    if allowed:
        result = _do(actor, what, target)
        change = AgencyChange.objects.get()
        assert change.by == actor and change.action == {"add": "add", "rename": "rename", "retire": "retire"}[what]
        assert change.agency == result and audit.verify(audit.AGENCY_CHAIN).ok
    else:
        with pytest.raises(units.UnitError):
            _do(actor, what, target)
        assert not AgencyChange.objects.exists()
        assert Agency.objects.get(pk=target.pk).name == target.name and Agency.objects.get(pk=target.pk).is_active


def test_a_new_unit_takes_its_parents_place_and_a_free_code(tree, agency_admin):
    unit = units.add_unit(agency_admin, tree["dinkes"], "  Puskesmas   Kuta Utara ")
    assert (unit.name, unit.kind, unit.parent, unit.region, unit.timezone) == (
        "Puskesmas Kuta Utara",
        Agency.Kind.UNIT,
        tree["dinkes"],
        tree["dinkes"].region,
        tree["dinkes"].timezone,
    )
    assert unit.code == "dinkes-badung-puskesmas-kuta-utara" and unit.path.startswith(tree["dinkes"].path)
    again = units.add_unit(agency_admin, tree["dinkes"], "Puskesmas Kuta Utara")
    assert again.code == "dinkes-badung-puskesmas-kuta-utara-2"
    with pytest.raises(units.UnitError, match="sudah dipakai"):
        units.add_unit(agency_admin, tree["dinkes"], "Lain", code="pemkab-sleman")
    with pytest.raises(units.UnitError, match="wajib diisi"):
        units.add_unit(agency_admin, tree["dinkes"], "   ")
    assert units.add_unit(agency_admin, tree["badung"], "Dinas Pariwisata").kind == Agency.Kind.OPD


def test_retiring_keeps_the_unit_but_out_of_routing(tree, agency_admin):
    unit = units.add_unit(agency_admin, tree["dinkes"], "UPT Gudang Farmasi")
    child = units.add_unit(agency_admin, unit, "Seksi Distribusi")
    with pytest.raises(units.UnitError, match="1 unit aktif"):
        units.retire(agency_admin, unit)
    units.retire(agency_admin, child)
    units.retire(agency_admin, unit)
    assert not Agency.objects.active().filter(pk__in=[unit.pk, child.pk]).exists()
    assert Agency.objects.filter(pk=unit.pk).exists()  # kept, with its history
    with pytest.raises(units.UnitError, match="sudah tidak aktif"):
        units.retire(agency_admin, unit)
    with pytest.raises(units.UnitError, match="tidak aktif"):
        units.add_unit(agency_admin, unit, "Di bawah unit nonaktif")
    assert [c.action for c in AgencyChange.objects.order_by("pk")] == ["add", "add", "retire", "retire"]


def test_moves_stay_inside_the_movers_reach(tree, agency_admin, sibling_admin, parent_admin):
    opd = units.add_unit(agency_admin, tree["badung"], "Dinas Sosial")
    units.move(agency_admin, tree["unit"], opd)
    assert Agency.objects.get(pk=tree["unit"].pk).path.startswith(opd.path)
    with pytest.raises(units.UnitError, match="Induk baru"):
        units.move(agency_admin, tree["unit"], tree["sleman"])  # out of Badung's subtree
    with pytest.raises(units.UnitError):
        units.move(sibling_admin, tree["unit"], tree["sleman"])
    with pytest.raises(units.UnitError, match="bawah dirinya sendiri"):
        units.move(parent_admin, tree["dinkes"], Agency.objects.filter(parent=tree["dinkes"]).first())
    change = AgencyChange.objects.get(action="move")
    assert change.data == {"old_parent": tree["dinkes"].pk, "new_parent": opd.pk}


def test_new_top_level_agencies_wait_for_a_national_admin(tree, agency_admin, national_admin, unit_admin, citizen):
    proposed = units.propose_top_level(agency_admin, "Badan Pengelola Perbatasan", Agency.Kind.MINISTRY)
    assert (proposed.parent, proposed.approval, proposed.is_active) == (None, Approval.PENDING, False)
    assert proposed not in Agency.objects.active() and list(units.pending()) == [proposed]
    for nobody in (unit_admin, citizen):
        with pytest.raises(units.UnitError):
            units.propose_top_level(nobody, "Badan Lain", Agency.Kind.MINISTRY)
    with pytest.raises(units.UnitError, match="Hanya Admin Nasional"):
        units.decide(agency_admin, proposed, approve=True)
    with pytest.raises(units.UnitError, match="alasan"):
        units.decide(national_admin, proposed, approve=False)
    units.decide(national_admin, proposed, approve=True)
    proposed.refresh_from_db()
    assert proposed.is_active and proposed.approval == Approval.APPROVED and not units.pending().exists()
    with pytest.raises(units.UnitError, match="sudah diputuskan"):
        units.decide(national_admin, proposed, approve=False, reason="x")

    rejected = units.propose_top_level(agency_admin, "Badan Tiruan", Agency.Kind.MINISTRY)
    units.decide(national_admin, rejected, approve=False, reason="Sudah ada lembaga serupa")
    rejected.refresh_from_db()
    assert rejected.approval == Approval.REJECTED and not rejected.is_active
    # A national admin's own top-level agency is active at once.
    own = units.propose_top_level(national_admin, "Kementerian Baru", Agency.Kind.MINISTRY)
    assert own.is_active and own.approval == Approval.APPROVED
    actions = list(AgencyChange.objects.order_by("pk").values_list("action", "by_id"))
    assert actions == [
        ("propose", agency_admin.pk),
        ("approve", national_admin.pk),
        ("propose", agency_admin.pk),
        ("reject", national_admin.pk),
        ("add", national_admin.pk),
    ]
    result = audit.verify(audit.AGENCY_CHAIN)
    assert result.ok and result.checked == 5


def test_the_agency_chain_detects_tampering(tree, agency_admin):
    units.add_unit(agency_admin, tree["dinkes"], "UPT Satu")
    units.add_unit(agency_admin, tree["dinkes"], "UPT Dua")
    AgencyChange.objects.filter(pk=AgencyChange.objects.order_by("pk").first().pk).update(data={"name": "Palsu"})
    assert not audit.verify(audit.AGENCY_CHAIN).ok
