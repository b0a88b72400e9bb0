-- Production (issue 15): the health check's heartbeat, a write /healthz commits
-- to prove the database takes writes (one row, no personal data).
CREATE TABLE heartbeat (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  TEXT NOT NULL                -- UTC ISO-8601, the last health check
);

-- Privacy (bot/privacy.py): whose documents the file links are (their export is
-- deleted with them), and which chats got which long Telegram buttons (a stored
-- payload may hold a delegate's words, such as a search).
ALTER TABLE files ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX files_user ON files (user_id);

CREATE TABLE telegram_callback_chats (
    token    TEXT NOT NULL,                  -- telegram_callbacks.token
    chat_id  TEXT NOT NULL,
    PRIMARY KEY (token, chat_id)
) WITHOUT ROWID;
CREATE INDEX telegram_callback_chats_chat ON telegram_callback_chats (chat_id);
