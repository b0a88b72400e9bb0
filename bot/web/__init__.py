"""The bot's web server: webhooks (added by the channels), and files under expiring URLs."""
