from complaints.models import Report
from dashboards.models import DailyStat
from lapor.db_router import ReplicaRouter


def test_dashboard_figures_read_from_the_replica_and_everything_writes_to_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(DailyStat) == "replica"
    assert router.db_for_read(Report) == "default"
    assert router.db_for_write(DailyStat) == router.db_for_write(Report) == "default"
    assert router.allow_migrate("default", "dashboards") and not router.allow_migrate("replica", "dashboards")
