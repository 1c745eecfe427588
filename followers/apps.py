from django.apps import AppConfig


class FollowersConfig(AppConfig):
    name = "followers"
    verbose_name = "Followers"

    def ready(self):
        from followers import receivers

        receivers.connect()
