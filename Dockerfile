# syntax=docker/dockerfile:1
# The delegate companion as a service: `delegate-bot run`, every channel configured
# from the environment, the SQLite database on a volume, /healthz for the health
# check.  Build and run: see README.md, "Deploying".

# -- build: the project and its locked dependencies in a virtual environment ---------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY handlers ./handlers
COPY data ./data
COPY locales ./locales
RUN python -m venv /opt/bot \
    && /opt/bot/bin/pip install -c requirements.lock . \
    && /opt/bot/bin/python -m compileall -q /opt/bot/lib

# -- run ------------------------------------------------------------------------------
FROM python:3.11-slim
# fonts for every script the bot ships catalogs in (Latin, Cyrillic, Arabic; Han, Hangul),
# for pictures with text in them
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/bot /opt/bot
ENV PATH=/opt/bot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# every catalog compiles (as at each start) and the shipped programme validates, or the build fails
RUN python -c "from bot.i18n import Catalogs; from bot.resources import resource_dir; print(len(Catalogs.load(resource_dir('locales')).tags), 'catalogs compiled')" \
    && delegate-bot validate
RUN useradd --system --uid 10001 --create-home --home-dir /home/bot bot \
    && mkdir -p /data \
    && chown bot /data
USER bot
WORKDIR /home/bot
# configuration by environment (secrets too: never baked into the image); see `delegate-bot check-config`
ENV BOT_DB=/data/bot.sqlite3 \
    BOT_HTTP_HOST=0.0.0.0 \
    BOT_HTTP_PORT=8080 \
    BOT_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["delegate-bot", "healthcheck"]
CMD ["delegate-bot", "run"]
