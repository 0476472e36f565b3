from io import StringIO

import pytest
from django.core.management import call_command

from agencies.models import Agency, Region
from complaints.models import Category, RoutingRule


def load():
    out = StringIO()
    call_command("load_reference", stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db):
    return load()


@pytest.mark.django_db
def test_counts_of_provinces_and_regencies(loaded):
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 38
    assert Region.objects.filter(level=Region.Level.REGENCY).count() == 514
    assert not Region.objects.filter(level=Region.Level.PROVINCE, parent__isnull=False).exists()
    assert not Region.objects.filter(level=Region.Level.REGENCY, parent__isnull=True).exists()
    assert Region.objects.get(code="51.03").name == "Kabupaten Badung"
    assert Region.objects.get(code="51.71").name == "Kota Denpasar"
    assert Region.objects.get(code="51").name == "Bali"


@pytest.mark.django_db
def test_summary_line(loaded):
    assert (
        f"Wilayah: 552, Titik wilayah: 26114, Kecamatan: 7277, Kelurahan/desa: 83763, "
        f"Kategori: {Category.objects.count()}, "
        f"Instansi: {Agency.objects.count()}, "
        f"Aturan disposisi: {RoutingRule.objects.count()}" in loaded
    )


@pytest.mark.django_db
def test_running_twice_creates_nothing_new(loaded):
    counts = (Region.objects.count(), Category.objects.count(), Agency.objects.count(), RoutingRule.objects.count())
    paths = dict(Agency.objects.values_list("code", "path"))
    second = load()
    assert (
        Region.objects.count(),
        Category.objects.count(),
        Agency.objects.count(),
        RoutingRule.objects.count(),
    ) == counts
    assert dict(Agency.objects.values_list("code", "path")) == paths
    assert f"Kelurahan/desa: 83763, Kategori: {counts[1]}, Instansi: {counts[2]}, " in second
    for model in (Region, Category, Agency):
        codes = list(model.objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes))


@pytest.mark.django_db
def test_reload_restores_edited_reference_values(loaded):
    Agency.objects.filter(code="dinkes-badung").update(name="Diubah", answers_need_approval=False)
    load()
    dinkes = Agency.objects.get(code="dinkes-badung")
    assert dinkes.name == "Dinas Kesehatan Kabupaten Badung"
    assert dinkes.answers_need_approval is True


@pytest.mark.django_db
def test_badung_parent_chain_and_timezone(loaded):
    dinkes = Agency.objects.get(code="dinkes-badung")
    assert dinkes.kind == Agency.Kind.OPD
    assert dinkes.answers_need_approval is True
    assert [a.code for a in dinkes.ancestors()] == ["pemprov-bali", "pemkab-badung"]
    pemkab = dinkes.parent
    assert pemkab.code == "pemkab-badung"
    assert pemkab.name == "Pemerintah Kabupaten Badung"
    assert pemkab.kind == Agency.Kind.REGENCY
    assert pemkab.region_id == "51.03"
    assert pemkab.parent.code == "pemprov-bali"
    assert pemkab.parent.name == "Pemerintah Provinsi Bali"
    assert pemkab.parent.parent is None
    assert {dinkes.timezone, pemkab.timezone, pemkab.parent.timezone} == {"Asia/Makassar"}
    assert Agency.objects.get(code="puskesmas-kuta-1").is_in_subtree_of(pemkab)


@pytest.mark.django_db
def test_timezones_by_region(loaded):
    papua_regency = Region.objects.get(code="91.03")  # Kabupaten Jayapura
    assert papua_regency.timezone == "Asia/Jayapura"
    assert set(Region.objects.filter(code__regex=r"^9[1-6]").values_list("timezone", flat=True)) == {"Asia/Jayapura"}
    assert Region.objects.get(code="61.09").timezone == "Asia/Jakarta"  # Sekadau, West Kalimantan
    assert Region.objects.get(code="64").timezone == "Asia/Makassar"  # East Kalimantan
    assert Agency.objects.get(code="pemprov-papua-pegunungan").timezone == "Asia/Jayapura"
    assert Agency.objects.get(code="pemkot-tangerang").timezone == "Asia/Jakarta"
    # No region: the parent's zone, else Asia/Jakarta.
    assert Agency.objects.get(code="kemenpanrb").timezone == "Asia/Jakarta"
    assert Agency.objects.get(code="djp").timezone == "Asia/Jakarta"


@pytest.mark.django_db
def test_every_province_has_its_government(loaded):
    pemprovs = Agency.objects.filter(kind=Agency.Kind.PROVINCE).select_related("region")
    assert pemprovs.count() == 38
    assert all(a.code.startswith("pemprov-") for a in pemprovs)
    assert all(a.region is not None and a.region.level == Region.Level.PROVINCE for a in pemprovs)
    assert all(a.name == f"Pemerintah Provinsi {a.region.name}" for a in pemprovs)
    assert {a.region_id for a in pemprovs} == set(
        Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_pilot_regions(loaded):
    expected = {
        "pemkab-sleman": ("pemprov-diy", "34.04"),
        "pemkot-tangerang": ("pemprov-banten", "36.71"),
        "pemkab-sekadau": ("pemprov-kalbar", "61.09"),
    }
    for code, (parent, region) in expected.items():
        agency = Agency.objects.get(code=code)
        assert (agency.kind, agency.parent.code, agency.region_id) == (
            Agency.Kind.REGENCY,
            parent,
            region,
        )
    assert Agency.objects.get(code="pemprov-sumbar").region_id == "13"
    assert Agency.objects.get(code="pemprov-diy").region_id == "34"
    for pemprov in ("pemprov-bali", "pemprov-diy", "pemprov-sumbar"):
        assert Agency.objects.filter(parent__code=pemprov, kind=Agency.Kind.OPD).count() >= 5


@pytest.mark.django_db
def test_category_tree(loaded):
    top = Category.objects.filter(parent__isnull=True)
    assert 12 <= top.count() <= 20
    for category in top:
        assert 3 <= category.children.count() <= 6, category.code
    assert not Category.objects.filter(parent__parent__isnull=False).exists()  # two levels only
    bpjs = Category.objects.get(code="kesehatan-bpjs")
    assert bpjs.parent.code == "kesehatan"
    assert bpjs.name_en
    positions = list(Category.objects.order_by("position").values_list("code", flat=True))
    assert positions[0] == "kesehatan"
