# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=cdmo_portal.settings.production
WORKDIR /app
COPY pyproject.toml README.md ./
COPY cdmo_portal cdmo_portal
COPY engagements engagements
COPY scorecards scorecards
COPY accounts accounts
COPY audit audit
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY templates templates
COPY static static
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789 \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 SITE_URL=https://build.invalid \
    python manage.py collectstatic --noinput -v0
RUN useradd --system --uid 1000 portal
USER portal
EXPOSE 8000
CMD ["gunicorn", "cdmo_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
