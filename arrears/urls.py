from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "arrears"
admin.site.site_title = "arrears"
admin.site.index_title = "Ledger"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("arrears.web.urls")),
]
