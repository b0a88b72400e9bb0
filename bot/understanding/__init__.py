"""Understanding what delegates write: the words of each language, and commands read from them.

The words live in ``locales/<tag>/phrases.toml`` (:mod:`bot.understanding.phrases`);
:mod:`bot.understanding.intents` turns free text into commands with them.
"""
