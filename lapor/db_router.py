"""Read replicas: the pre-aggregated dashboard figures are read from `replica` when one is set
(DATABASE_REPLICA_URL); everything else, and every write, uses the primary. Pages that must read
their own writes (a citizen's report right after filing it) therefore never see replica lag."""

REPLICA_APPS = {"dashboards"}


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return "replica" if model._meta.app_label in REPLICA_APPS else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two connections

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
