# The production image: exactly what uv.lock pins, static files collected, gunicorn on :8000
# (gunicorn.conf.py). The same image runs the web app, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app

COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput \
    && useradd --system --home /app digest && mkdir -p var && chown -R digest var
USER digest

EXPOSE 8000
CMD ["gunicorn", "config.wsgi"]
