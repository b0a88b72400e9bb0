-- The outbox, fit for campaigns (bot/notify/outbox.py, bot/notify/campaigns.py):
-- each item is claimed just before it is sent, so a crash leaves only the item
-- in flight uncertain; a priority (reminders ahead of broadcasts); the campaign
-- an item belongs to; how many parts of a multi-part item already went out.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,               -- 'broadcast', 'notice', 'feedback'
    title       TEXT NOT NULL,               -- for the organisers' lists, not sent
    created_by  TEXT NOT NULL,               -- an audit actor: 'telegram:<id>', 'cli:<user>'
    created_at  TEXT NOT NULL,
    audience    TEXT NOT NULL DEFAULT '{}',  -- JSON: who it was for, as chosen
    not_before  TEXT,                        -- scheduled for later (UTC), else NULL
    cancelled_at TEXT
);

CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    dedupe_key  TEXT,                        -- one item per (user, key): reminders, campaigns
    payload     TEXT NOT NULL,               -- JSON list of replies
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'uncertain')),
    priority    INTEGER NOT NULL DEFAULT 20, -- lower goes first: direct answers 0, reminders 10, notices 20, broadcasts 30
    campaign_id INTEGER REFERENCES campaigns (id),
    progress    INTEGER NOT NULL DEFAULT 0,  -- parts (messages) of this item already delivered
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,               -- UTC ISO-8601
    created_at  TEXT NOT NULL,
    claimed_at  TEXT,                        -- when the last attempt began
    sent_at     TEXT,
    last_error  TEXT,
    UNIQUE (user_id, dedupe_key)
);

INSERT INTO outbox_new (id, user_id, channel, dedupe_key, payload, status, attempts, not_before, created_at, sent_at, last_error)
SELECT id, user_id, channel, dedupe_key, payload,
       CASE status WHEN 'sending' THEN 'uncertain' ELSE status END,
       attempts, not_before, created_at, sent_at, last_error
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (channel, status, priority, not_before);
CREATE INDEX outbox_campaign ON outbox (campaign_id, status);
