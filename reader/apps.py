from django.apps import AppConfig


class ReaderConfig(AppConfig):
    name = "reader"
    verbose_name = "Reader's site"

    def ready(self):
        from reader import pagecache

        pagecache.connect()
