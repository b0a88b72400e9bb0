# syntax=docker/dockerfile:1
# The delegate companion as a service: `delegate-bot run`, every channel configured
# from the environment, the SQLite database on a volume, /healthz for the health
# check.  Build and run: see README.md, "Deploying".

# -- build: the project and its locked dependencies in a virtual environment ---------
FROM python:3.11-slim AS build
# the lock for the project and for the isolated environment pip builds it in (-c reaches only the first)
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/src/requirements.txt
WORKDIR /src
COPY pyproject.toml README.md requirements.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY data ./data
COPY locales ./locales
RUN python -m venv /opt/bot \
    && /opt/bot/bin/pip install . \
    && /opt/bot/bin/python -m compileall -q /opt/bot/lib

# -- run ------------------------------------------------------------------------------
# No system packages: the wheels bring their libraries (matplotlib its FreeType and
# libraqm, lxml its libxml2), and the fonts for every shipped script come with the
# package: Noto Sans CJK (Latin, Cyrillic, Greek, Han, Hangul) from its pinned dependency
# cvttf-notosanscjk-regular, the Arabic subset in bot/feedback/fonts (what charts use).
FROM python:3.11-slim
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
# a chart draws in every shipped script with the packaged fonts, or the build fails
# (and matplotlib's font cache is built now, not at the first chart)
RUN python -c "from bot.feedback.charts import Bars, draw, font_paths, missing_glyphs; \
assert all(p.is_file() for p in font_paths()), 'chart fonts missing'; \
sample = '议程 議程 세션 جلسة сессия séance'; assert not missing_glyphs(sample), missing_glyphs(sample); \
png = draw(sample, [Bars(sample, (sample,), (4.0,), ('4',), 5)], locale='ar'); assert png[:4] == b'\\x89PNG'; \
print('charts draw in every script')"
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
