# The portfolio API on a slim Python base, run as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTFOLIO_DATABASE_URL=sqlite:////data/portfolio.db

# Pango lays out the PDF reports (WeasyPrint); the fonts come with matplotlib and are embedded in each PDF.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY portfolio ./portfolio
COPY dashboards ./dashboards
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --create-home portfolio

USER portfolio
WORKDIR /data
EXPOSE 8000

# Liveness: /healthz answers from the event loop, without the database, however busy the workers are.
# (/readyz asks the database: for deployments and monitoring, not for taking a container out.)
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

CMD ["portfolio", "serve", "--host", "0.0.0.0", "--port", "8000"]
