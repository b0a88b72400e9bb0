"""Channels: turn platform updates into Requests and render Replies in their idiom."""


class ChannelStartError(Exception):
    """A channel cannot start for a reason the operator can fix; the message says which (never a secret)."""
