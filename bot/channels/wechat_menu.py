"""The Official Account menu (``delegate-bot wechat-menu``).

Each button is a ``CLICK`` whose key is a command line, so a tap reaches the
same handler as typing it.  A button appears only when its command exists in
this build (``/myagenda``, ``/venues`` and ``/feedback`` come with their
features).  WeChat allows three top-level buttons with five each below.
"""

from __future__ import annotations

from typing import Any, Final

from bot import i18n
from bot.i18n import N_, _
from bot.router import Router
from handlers.start import main_menu

#: WeChat's menu limits: buttons, and bytes in a name.
MAX_TOP_BUTTONS: Final = 3
MAX_SUB_BUTTONS: Final = 5
MAX_TOP_NAME_BYTES: Final = 16
MAX_SUB_NAME_BYTES: Final = 60

#: Commands in menu order, with the labels of those the start menu does not show.
MENU_ITEMS: Final = (
    ("today", None),
    ("next", None),
    ("myagenda", N_("My agenda")),
    ("venues", N_("Venues")),
    ("feedback", N_("Feedback")),
    ("programme", None),
    ("lang", None),
)


def _fit(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` UTF-8 bytes between characters."""
    out = ""
    for ch in name:
        if len((out + ch).encode("utf-8")) > limit:
            break
        out += ch
    return out


def _click(label: str, command: str, limit: int) -> dict[str, str]:
    return {"type": "click", "name": _fit(label, limit), "key": f"/{command}"}


def menu_definition(router: Router, localizer: i18n.Localizer) -> dict[str, Any]:
    """The menu for ``/cgi-bin/menu/create``, labelled in ``localizer``'s language."""
    with i18n.use(localizer):
        # the start menu's labels, so the same button reads the same in the chat and the menu
        start_labels = {choice.payload: choice.label for choice in main_menu()}
        items = [
            (_(label) if label else start_labels.get(f"/{command}", command), command)
            for command, label in MENU_ITEMS
            if router.resolve(command) is not None
        ]
        if len(items) <= MAX_TOP_BUTTONS:
            return {"button": [_click(label, command, MAX_TOP_NAME_BYTES) for label, command in items]}
        top = [_click(label, command, MAX_TOP_NAME_BYTES) for label, command in items[: MAX_TOP_BUTTONS - 1]]
        more = [_click(label, command, MAX_SUB_NAME_BYTES) for label, command in items[MAX_TOP_BUTTONS - 1 :]]
        top.append({"name": _fit(_("More"), MAX_TOP_NAME_BYTES), "sub_button": more[:MAX_SUB_BUTTONS]})
        return {"button": top}
