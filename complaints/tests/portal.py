"""Small helpers for the portal tests: move reports along the workflow as staff would."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from PIL import Image

from complaints import workflow
from complaints.models import Report


def published(make_report, national_admin, **overrides):
    report = make_report(**overrides)
    workflow.verify(report, by=national_admin)
    return report


def crowd(report, n: int, **changed: str) -> None:
    """`n` copies of a public report, filed a minute apart after it, every 10th titled "Jalan rusak" (the
    others "Lampu padam"), and the table's statistics refreshed: in one INSERT … SELECT. `changed`: other
    columns' values (SQL over the copied row and g, the copy's number)."""
    columns = [f.column for f in Report._meta.concrete_fields if not f.primary_key]
    values = {
        "tracking_no": "'J' || lpad(g::text, 11, '0')",
        "submission_key": "NULL",
        "title": "CASE WHEN g %% 10 = 0 THEN 'Jalan rusak ' ELSE 'Lampu padam ' END || g",
        "created_at": "created_at + g * interval '1 minute'",
        **changed,
    }
    select = ", ".join(values.get(c, f'"{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO complaints_report ({names}) SELECT {select} "
            "FROM complaints_report, generate_series(1, %s) g WHERE id = %s",
            [n, report.pk],
        )
        cursor.execute("ANALYZE complaints_report")


def answered(make_report, national_admin, agency_admin, tree, note="Jalan sudah ditambal.", **overrides):
    """A verified report dispatched to Pemkab Badung and answered by its admin."""
    report = published(make_report, national_admin, **overrides)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.respond(report, by=agency_admin, note=note)
    return report


def pdf_bytes(**docinfo) -> bytes:
    """A real one-page PDF (pikepdf); `docinfo` fills its document information (Author=…)."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    for key, value in docinfo.items():
        pdf.docinfo[f"/{key}"] = value
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_upload(name="surat.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def png_upload(name="foto.png"):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def close_response(response) -> None:
    """Close a (file) response the way Django's test client does.

    A bare ``response.close()`` sends ``request_finished``, whose ``close_old_connections`` drops the test's
    own database connection on PostgreSQL (it is inside the test's transaction); the client detaches it.
    """
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def set_due_at(reports, when) -> None:
    """Give reports (a queryset) another due time in the database, as the clocks do (clocks.sync_report_due):
    on the reports and on their handling rows, which the queue tabs count overdue by."""
    from complaints.models import ReportAgency

    ids = list(reports.values_list("pk", flat=True))
    reports.model.objects.filter(pk__in=ids).update(due_at=when)
    ReportAgency.objects.filter(report_id__in=ids).update(due_at=when)
