-- Telegram: an update is kept while it is being handled, so one that a crash interrupted is handled
-- at the next start.  Long polling confirms updates to Telegram with the next getUpdates, before they
-- are handled, and a webhook redelivery finds the update claimed: without this, a kill -9 between
-- receiving an update and answering it lost it.
ALTER TABLE telegram_updates ADD COLUMN body TEXT;                       -- the update (JSON) until it is handled; then NULL
ALTER TABLE telegram_updates ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;  -- times handled again after a crash
