"""Time a large report list export built by the Celery job (complaints.exports.build), in-process.

    DATABASE_URL=... REDIS_URL=... DJANGO_SECRET_KEY=x DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py shell -c "exec(open('bench/exports.py').read())"

Seeds nothing itself: point it at a database filled by `manage.py seed_scale --reports N`. Prints
rows, seconds, rows per second and the process's peak memory for a CSV and an XLSX export of the
whole list as a national admin (XLSX is refused beyond one worksheet), of the aspirations as XLSX, and
of one regency government's list as its agency admin.
"""

import resource
import time

from accounts.models import User
from agencies.models import Agency, Membership
from complaints import exports
from complaints.models import ExportJob, Report


def user(email, agency_code, role):
    u, _ = User.objects.get_or_create(email=email, defaults={"full_name": email, "is_staff": True})
    Membership.objects.get_or_create(user=u, agency=Agency.objects.get(code=agency_code), role=role)
    return u


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


print("reports:", Report.objects.count(), f"start RSS peak {peak_mb():.0f} MB")
national = user("bench-nas@example.test", "kemenpanrb", "national_admin")
regency = user("bench-regency@example.test", "scale-73.03", "agency_admin")
for label, who, fmt, query in [
    ("national, all, CSV", national, "csv", ""),
    ("national, all, XLSX", national, "xlsx", ""),  # refused beyond a worksheet's 1,048,575 rows
    ("national, aspirations, XLSX", national, "xlsx", "classification__exact=aspiration"),
    ("agency admin, a regency, CSV", regency, "csv", ""),
]:
    job = ExportJob.objects.create(user=who, format=fmt, query=query, language="id")
    start = time.perf_counter()
    state = exports.build(job.pk)
    elapsed = time.perf_counter() - start
    job.refresh_from_db()
    if job.state != "done":
        print(f"{label:28} {state:6} {job.error} after {elapsed:.1f} s")
        job.delete()
        continue
    size = job.file.size / 2**20 if job.file else 0
    print(
        f"{label:28} {state:6} {job.total:>9,} rows {elapsed:7.1f} s {job.total / elapsed:8,.0f} rows/s "
        f"file {size:6.1f} MB  peak RSS {peak_mb():.0f} MB"
    )
    job.file.delete(save=False)
    job.delete()
