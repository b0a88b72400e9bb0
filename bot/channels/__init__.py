"""Channels: turn platform updates into Requests and render Replies in their idiom."""
