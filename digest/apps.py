from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Daily digests"

    def ready(self):
        from digest import receivers

        receivers.connect()
