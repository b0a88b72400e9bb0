-- Delegates as the channels know them, and the outbox of pushed messages.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    platform_id   TEXT NOT NULL,
    locale        TEXT,                      -- chosen with /lang; NULL until chosen
    language_hint TEXT,                      -- the platform's last language code
    timezone      TEXT,                      -- chosen zone for online events
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT,
    UNIQUE (channel, platform_id)
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    dedupe_key  TEXT,                        -- one item per (user, key): reminders, broadcasts
    payload     TEXT NOT NULL,               -- JSON list of replies
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,               -- UTC ISO-8601
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    last_error  TEXT,
    UNIQUE (user_id, dedupe_key)
);

CREATE INDEX outbox_due ON outbox (channel, status, not_before);
