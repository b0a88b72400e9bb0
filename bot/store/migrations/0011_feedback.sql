-- Session feedback: polls, who was asked, answers, live results.
--
-- Personal data: feedback_prompts (who was asked), feedback_responses and
-- feedback_answers (what they answered), feedback_watchers (a facilitator
-- following results).  To forget a delegate: anonymous responses
-- (named = 0) and prompts lose their user_id (the counts stay, nobody can
-- be found in them); named responses are deleted with their answers;
-- watchers are deleted.  FeedbackStore.forget does exactly that.

-- A facilitator's /poll open or /poll close; without a row a poll follows the programme's times.
CREATE TABLE feedback_polls (
    session_id  TEXT PRIMARY KEY,
    opened_at   TEXT,
    opened_by   TEXT,
    closed_at   TEXT,
    closed_by   TEXT
);

-- The prompts of one session, sent once: the campaign they went out in.
CREATE TABLE feedback_rounds (
    session_id   TEXT PRIMARY KEY,
    campaign_id  INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    prompted     INTEGER NOT NULL DEFAULT 0
);

-- Who was asked about a session: by a prompt, or by opening its questionnaire themselves.
CREATE TABLE feedback_prompts (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    asked_at    TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('push', 'self')),
    UNIQUE (session_id, user_id)
);

-- One delegate's questionnaire for one session.
CREATE TABLE feedback_responses (
    id            INTEGER PRIMARY KEY,
    session_id    TEXT NOT NULL,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    named         INTEGER NOT NULL DEFAULT 0,   -- the session declared named answers when this was begun
    attended      INTEGER NOT NULL DEFAULT 1,   -- 0: "I did not attend"
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    completed_at  TEXT,
    UNIQUE (session_id, user_id)
);
CREATE INDEX feedback_responses_session ON feedback_responses (session_id);

-- One answer per response and question; changed in place until the poll closes.
CREATE TABLE feedback_answers (
    response_id  INTEGER NOT NULL REFERENCES feedback_responses (id) ON DELETE CASCADE,
    question_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT,                          -- JSON: a number, an option id, a list of them, or a text
    skipped      INTEGER NOT NULL DEFAULT 0,
    answered_at  TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);

-- Facilitators who asked for a session's results to be kept up to date (until a time).
CREATE TABLE feedback_watchers (
    session_id   TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until        TEXT NOT NULL,
    pushed_at    TEXT,
    pushed_state TEXT,
    PRIMARY KEY (session_id, user_id)
);
