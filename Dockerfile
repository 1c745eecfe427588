# The production image: dependencies from uv.lock, static files collected, gunicorn on :8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"
RUN pip install --no-cache-dir uv
WORKDIR /app

COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput \
    && useradd --system --home /app digest && mkdir -p var && chown -R digest var
USER digest

EXPOSE 8000
CMD ["gunicorn", "digest.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
