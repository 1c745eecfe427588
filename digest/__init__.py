"""Daily AI Insights: the Django project and the daily digest app."""

from digest.celery import app as celery_app

__all__ = ("celery_app",)
