from django.contrib import admin
from django.urls import path, register_converter

from digest import views
from digest.converters import IsoDateConverter

register_converter(IsoDateConverter, "isodate")

urlpatterns = [
    path("", views.latest, name="latest"),
    path("days/<isodate:day>/", views.day, name="day"),
    path("admin/", admin.site.urls),
]
