# The delegate companion as a service: `delegate-bot run` with every channel
# configured from the environment; the SQLite database lives on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY handlers ./handlers
COPY data ./data
COPY locales ./locales
RUN pip install -c requirements.lock . && rm -rf /src \
    && useradd --system --create-home --home-dir /home/bot bot \
    && mkdir -p /data && chown bot /data

USER bot
WORKDIR /home/bot
ENV BOT_DB=/data/bot.sqlite3 \
    BOT_HTTP_HOST=0.0.0.0 \
    BOT_HTTP_PORT=8080
VOLUME ["/data"]
EXPOSE 8080
CMD ["delegate-bot", "run"]
