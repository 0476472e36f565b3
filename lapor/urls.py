from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from complaints import views as complaint_views

from . import views

handler500 = "lapor.errors.server_error"  # 500, and 503 with Retry-After while the database is down

admin.site.site_header = "LAPOR! — Admin"
admin.site.site_title = "LAPOR!"
admin.site.index_title = "Ruang kerja"

urlpatterns = [
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("api.open311_urls")),
    path("kanal/", include("channels.urls")),  # providers' webhooks (WhatsApp, SMS gateway)
]
urlpatterns += i18n_patterns(
    path("", complaint_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("akun/", include("accounts.urls")),
    path("laporan/", include("complaints.urls")),
    path("kerja/", include("complaints.staff_urls")),
    path("dasbor/", include("dashboards.urls")),
    path("statistik/", include("dashboards.public_urls")),
    prefix_default_language=False,
)

if settings.LAPOR_BENCH_VIEWS:
    from . import bench_views

    urlpatterns.append(path("bench/insert/", bench_views.bench_insert))
