"""The programme: YAML file -> validated immutable model -> agenda queries."""

from bot.programme.agenda import Agenda, Phase
from bot.programme.holder import ProgrammeHolder
from bot.programme.loader import Problem, ProgrammeError, load_programme, parse_programme
from bot.programme.model import Programme, Session, Stream, Venue, localized

__all__ = [
    "Agenda",
    "Phase",
    "Problem",
    "Programme",
    "ProgrammeError",
    "ProgrammeHolder",
    "Session",
    "Stream",
    "Venue",
    "load_programme",
    "localized",
    "parse_programme",
]
