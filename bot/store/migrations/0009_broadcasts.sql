-- Broadcasts and programme-change notices (issue: organisers' broadcasts):
-- campaign drafts and their texts per language; who gets the progress report;
-- the WeChat customer-service budget per follower; held pushes; display names
-- for sign-up lists; what delegates were last told about each session.

ALTER TABLE campaigns ADD COLUMN status TEXT NOT NULL DEFAULT 'sending';   -- draft, scheduled, sending, done, cancelled
ALTER TABLE campaigns ADD COLUMN texts TEXT;                                 -- JSON: language tag -> text (broadcasts)
ALTER TABLE campaigns ADD COLUMN report_to INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE campaigns ADD COLUMN confirmed_at TEXT;
ALTER TABLE campaigns ADD COLUMN finished_at TEXT;
ALTER TABLE campaigns ADD COLUMN reported TEXT;                              -- JSON of the counts last shown to report_to

ALTER TABLE users ADD COLUMN display_name TEXT;                              -- as the platform gives it, for rosters

ALTER TABLE reminder_settings ADD COLUMN digest_at TEXT;                     -- 'HH:MM' in the event's zone (WeChat daily digest)

-- WeChat: a follower's message opens 48 hours for about 5 customer-service
-- messages; a menu click, follow or scan opens a minute for about 3.  What was
-- spent since each is counted here (opens_window in wechat_inbound: 2 for a
-- message, 1 for an event).
ALTER TABLE wechat_window ADD COLUMN last_message_at TEXT;
ALTER TABLE wechat_window ADD COLUMN message_spent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wechat_window ADD COLUMN last_event_at TEXT;
ALTER TABLE wechat_window ADD COLUMN event_spent INTEGER NOT NULL DEFAULT 0;
UPDATE wechat_window SET last_message_at = last_inbound_at;

DROP TRIGGER wechat_inbound_opens_window;
CREATE TRIGGER wechat_inbound_opens_window AFTER INSERT ON wechat_inbound WHEN NEW.opens_window >= 1
BEGIN
    INSERT INTO wechat_window (openid, last_inbound_at) VALUES (NEW.openid, NEW.received_at)
    ON CONFLICT (openid) DO UPDATE SET last_inbound_at = excluded.last_inbound_at, exhausted_at = NULL
    WHERE excluded.last_inbound_at >= wechat_window.last_inbound_at;
    UPDATE wechat_window SET last_message_at = NEW.received_at, message_spent = 0
    WHERE openid = NEW.openid AND NEW.opens_window = 2
      AND (last_message_at IS NULL OR last_message_at <= NEW.received_at);
    UPDATE wechat_window SET last_event_at = NEW.received_at, event_spent = 0
    WHERE openid = NEW.openid AND NEW.opens_window = 1
      AND (last_event_at IS NULL OR last_event_at <= NEW.received_at);
END;

-- The outbox gains 'held': a push that could not reach a WeChat follower (window
-- closed or spent, no template), kept to open their next passive reply.
CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    dedupe_key  TEXT,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'uncertain', 'held')),
    priority    INTEGER NOT NULL DEFAULT 20,
    campaign_id INTEGER REFERENCES campaigns (id),
    progress    INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    claimed_at  TEXT,
    sent_at     TEXT,
    last_error  TEXT,
    UNIQUE (user_id, dedupe_key)
);
INSERT INTO outbox_new SELECT id, user_id, channel, dedupe_key, payload, status, priority, campaign_id, progress,
       attempts, not_before, created_at, claimed_at, sent_at, last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (channel, status, priority, not_before);
CREATE INDEX outbox_campaign ON outbox (campaign_id, status);
CREATE INDEX outbox_held ON outbox (user_id, status) WHERE status = 'held';

-- What delegates were last told about each session (the baseline that programme
-- changes are compared with), and when a pending change notice falls due.
CREATE TABLE programme_baseline (
    session_id TEXT PRIMARY KEY,
    signature  TEXT NOT NULL                -- JSON of what a change notice compares
) WITHOUT ROWID;

CREATE TABLE notice_state (
    key     TEXT PRIMARY KEY,               -- 'pending'
    due_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Telegram: messages a push may edit in place later (a broadcast's progress).
CREATE TABLE telegram_edits (
    chat_id    TEXT NOT NULL,
    edit_key   TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, edit_key)
) WITHOUT ROWID;
