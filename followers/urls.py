from django.urls import path

from followers import feeds, views

urlpatterns = [
    path("follow/", views.subscribe, name="followers-subscribe"),
    path("follow/sent/", views.sent, name="followers-sent"),
    path("follow/confirm/<str:token>/", views.confirm, name="followers-confirm"),
    path("follow/manage/<str:token>/", views.manage, name="followers-manage"),
    path("follow/manage/<str:token>/delete/", views.delete, name="followers-delete"),
    path("follow/unsubscribe/<str:token>/", views.unsubscribe, name="followers-unsubscribe"),
    path("feeds/follow/<str:token>.rss", feeds.personal_rss, name="followers-feed-rss"),
    path("feeds/follow/<str:token>.atom", feeds.personal_atom, name="followers-feed-atom"),
    path("feeds/keywords.rss", feeds.search_rss, name="followers-search-rss"),
    path("feeds/keywords.atom", feeds.search_atom, name="followers-search-atom"),
]
