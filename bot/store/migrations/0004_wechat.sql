-- WeChat: callbacks already answered (WeChat retries a callback up to three
-- times, also across a restart of the bot), and each follower's
-- customer-service window (48 hours after their last message, with a quota).
CREATE TABLE wechat_inbound (
    dedupe_key   TEXT PRIMARY KEY,           -- "m:<MsgId>" or "e:<openid>:<CreateTime>:<Event>"
    openid       TEXT NOT NULL,
    received_at  TEXT NOT NULL,              -- UTC ISO-8601
    opens_window INTEGER NOT NULL DEFAULT 0, -- a follower's own action: message, menu click, follow
    parts        TEXT,                       -- JSON list of the reply's text parts; NULL while handling
    late         INTEGER NOT NULL DEFAULT 0  -- 1: the reply went out by customer-service message
);

CREATE INDEX wechat_inbound_received ON wechat_inbound (received_at);

CREATE TABLE wechat_window (
    openid          TEXT PRIMARY KEY,
    last_inbound_at TEXT NOT NULL,           -- the follower's last own action (UTC)
    exhausted_at    TEXT                     -- WeChat said 45015/45047 since then: none until the next
);

-- Claiming a callback and opening the follower's window are one statement.
CREATE TRIGGER wechat_inbound_opens_window AFTER INSERT ON wechat_inbound WHEN NEW.opens_window = 1
BEGIN
    INSERT INTO wechat_window (openid, last_inbound_at) VALUES (NEW.openid, NEW.received_at)
    ON CONFLICT (openid) DO UPDATE SET last_inbound_at = excluded.last_inbound_at, exhausted_at = NULL
    WHERE excluded.last_inbound_at >= wechat_window.last_inbound_at;
END;
