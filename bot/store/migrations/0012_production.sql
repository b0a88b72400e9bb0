-- Production (issue 15): the health check's heartbeat, a write /healthz commits
-- to prove the database takes writes (one row, no personal data).
CREATE TABLE heartbeat (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  TEXT NOT NULL                -- UTC ISO-8601, the last health check
);
