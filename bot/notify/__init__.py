"""Outbound messages: the outbox, per-channel delivery workers, reminders."""
