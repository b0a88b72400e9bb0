-- Conversation state that survives a restart (bot/dialogues.py): what a bare
-- number answers (the choices or poll last shown) and the pending step of a
-- multi-step dialogue, keyed by channel and platform id.
CREATE TABLE dialogues (
    channel         TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    offer           TEXT,                    -- JSON: {"payloads": [...]} or {"poll": id, "options": n, "multiple": b}
    step_name       TEXT,                    -- the pending step, NULL when none
    step_data       TEXT,                    -- JSON object gathered so far
    step_expires_at TEXT,                    -- UTC ISO-8601; an expired step is ignored
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (channel, platform_id)
) WITHOUT ROWID;
