"""Districts (kecamatan) and villages (kelurahan/desa) from idn-area-data: counts, codes, parents and an
idempotent, bulk load (agencies/reference.py)."""

import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import District, Region, RegionPoint, Village
from agencies.reference import (
    DISTRICTS_CSV,
    POINTS_CSV,
    VILLAGES_CSV,
    load_districts,
    load_region_points,
    load_villages,
    read_csv,
)

pytestmark = pytest.mark.django_db


def test_counts_codes_and_parents(areas):
    assert District.objects.count() == 7277
    assert Village.objects.count() == 83763
    kuta = District.objects.select_related("regency").get(pk="51.03.01")
    assert (kuta.name, kuta.regency.name) == ("Kuta", "Kabupaten Badung")
    assert Village.objects.get(pk="51.03.01.1001").name == "Tuban"
    assert Village.objects.get(pk="51.03.01.1001").district_id == "51.03.01"
    # Every district is in a regency, every village in a district of the same code prefix.
    assert not District.objects.exclude(regency__level=Region.Level.REGENCY).exists()
    for code, parent in Village.objects.filter(pk__startswith="34.04.").values_list("pk", "district_id"):
        assert code.rpartition(".")[0] == parent
    assert set(District.objects.filter(regency="34.04").values_list("name", flat=True)) >= {"Gamping", "Depok"}


def test_regions_carry_the_bounding_boxes_of_their_points(areas):
    seribu = Region.objects.get(pk="31.01")  # Kepulauan Seribu: islands only
    lat_min, lng_min, lat_max, lng_max = seribu.box
    assert lat_min < -5.6 < lat_max and lng_min < 106.55 < lng_max
    lat_min, lng_min, lat_max, lng_max = Region.objects.get(pk="34.04").box  # Sleman: inland, GeoNames towns
    assert lat_min < -7.72 < lat_max and lng_min < 110.36 < lng_max
    lat_min, lng_min, lat_max, lng_max = Region.objects.get(pk="31.71").box  # Jakarta Pusat: its seat alone
    assert lat_min < -6.1833 < lat_max and lng_min < 106.8333 < lng_max
    assert not Region.objects.filter(level=Region.Level.REGENCY, lat_min__isnull=True).exists()


def test_region_points_load_idempotently(areas):
    rows = read_csv(POINTS_CSV)
    assert len(rows) == RegionPoint.objects.count() == 26114
    assert RegionPoint.objects.filter(kind="town").count() == 9180
    assert RegionPoint.objects.filter(kind="seat").count() == 8
    with CaptureQueriesContext(connection) as queries:
        assert load_region_points(rows) == (0, 0)  # nothing written
    assert len(queries) == 2
    moved = RegionPoint.objects.filter(region_id="34.04").first()
    RegionPoint.objects.filter(pk=moved.pk).update(latitude=0)
    RegionPoint.objects.filter(region_id="51.71").delete()
    created, deleted = load_region_points(rows)
    assert deleted == 1 and created == 1 + sum(r["region_code"] == "51.71" for r in rows)
    assert RegionPoint.objects.count() == 26114
    assert not RegionPoint.objects.filter(latitude=0).exists()


def test_second_load_writes_nothing_and_restores_an_edit(areas):
    Village.objects.filter(pk="51.03.01.1001").update(name="Diubah")
    District.objects.filter(pk="51.03.02").update(name="Diubah")
    assert load_districts(read_csv(DISTRICTS_CSV)) == (0, 1)
    assert load_villages(read_csv(VILLAGES_CSV)) == (0, 1)
    assert Village.objects.get(pk="51.03.01.1001").name == "Tuban"
    assert District.objects.get(pk="51.03.02").name == "Mengwi"
    # Unchanged: one read of the table (and one of the parents), no write at all.
    villages = read_csv(VILLAGES_CSV)
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        assert load_villages(villages) == (0, 0)
    assert len(queries) == 2
    assert time.monotonic() - started < 10
    assert Village.objects.count() == 83763


def test_a_fresh_load_is_in_bulk(areas):
    """From empty tables, the 84,000 rows go in batches (hundreds of statements at most, not 84,000)."""
    Village.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        assert load_villages(read_csv(VILLAGES_CSV)) == (83763, 0)
    assert len(queries) < 500
    assert Village.objects.count() == 83763


def test_rows_only_in_the_database_are_kept(areas):
    District.objects.create(code="51.03.99", name="Kecamatan baru", regency_id="51.03")
    call_command("load_reference", verbosity=0)
    assert District.objects.filter(pk="51.03.99").exists()
