# Production image: gunicorn serves the web; the same image runs the Celery worker and beat.

# The browser libraries (signature_pad, trix): package-lock.json's exact versions, copied into
# static/vendor/ by the Makefile's own `vendor` step, so the image and `make setup` agree.
FROM node:20-bookworm-slim AS vendor
WORKDIR /build
COPY Makefile package.json package-lock.json ./
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/* \
 && make vendor

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=studio.settings.production

# WeasyPrint's system libraries (pango, harfbuzz) and gettext for compiled catalogues.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Exactly the pinned, hashed versions (`make lock` writes the file); then the project, resolving nothing.
COPY pyproject.toml requirements-prod.lock ./
RUN pip install --require-hashes --no-deps -r requirements-prod.lock
COPY . .
COPY --from=vendor /build/static/vendor ./static/vendor
RUN pip install --no-deps --no-build-isolation . \
 && DJANGO_SECRET_KEY=build-only DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && DJANGO_SECRET_KEY=build-only DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py compilemessages -v 0

RUN useradd --create-home atelier && mkdir -p /app/media && chown atelier /app/media
USER atelier
EXPOSE 8000
CMD ["gunicorn", "studio.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
