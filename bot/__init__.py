"""The delegate companion: a conference chatbot for delegates, organisers and facilitators."""

__version__ = "0.1.0"
