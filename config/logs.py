"""Structured logs: one JSON object per line, for a log collector to index without parsing."""

import json
import logging
from datetime import UTC, datetime

from celery import current_task

# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_STANDARD = {*vars(logging.makeLogRecord({})), "message", "asctime"}


class JsonFormatter(logging.Formatter):
    """The time (UTC), level, logger and message, the record's extra fields, and the Celery
    task the line was logged from, so one day's run can be followed across processes."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _STANDARD}
        task = current_task
        if task and task.request.id:
            entry |= {"task": task.name, "task_id": task.request.id}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
