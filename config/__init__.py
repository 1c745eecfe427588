"""The Django project: settings, URLs, the Celery app, WSGI, logging and the broker transport."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
