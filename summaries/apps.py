from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummariesConfig(AppConfig):
    name = "summaries"
    verbose_name = _("Summaries")

    def ready(self):
        from summaries import receivers

        receivers.connect()
