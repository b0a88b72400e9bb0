-- Telegram: updates already handled (replays change nothing), button payloads
-- too long for Telegram's 64-byte callback data, and our polls' Telegram ids.
CREATE TABLE telegram_updates (
    update_id   INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL                -- UTC ISO-8601; old rows are pruned at start
);

CREATE TABLE telegram_callbacks (
    token      TEXT PRIMARY KEY,             -- what the button carries: '#' + hash of the payload
    payload    TEXT NOT NULL,                -- the command line the button stands for
    created_at TEXT NOT NULL
);

CREATE TABLE telegram_polls (
    telegram_poll_id TEXT PRIMARY KEY,       -- Telegram's id, named in poll_answer updates
    poll_id          TEXT NOT NULL,          -- the core's Poll.poll_id
    chat_id          TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
