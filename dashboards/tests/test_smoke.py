import datetime as dt

from django.urls import reverse

from .conftest import at


def test_smoke(life, rebuild, client, head, tree):
    day = dt.date(2026, 3, 2)
    for kind in ["accepted", "reopened", "auto", "transferred", "returned", "archived", "submitted"]:
        life(at(day), kind)
    rebuild(day, day + dt.timedelta(days=30))
    client.force_login(head)
    r = client.get(reverse("dashboards:dashboard"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 200
    print(r.context["figures"]["totals"])
    r = client.get(reverse("statistik:public"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 200
    r = client.get(reverse("dashboards:export_xlsx"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 200
