"""Site-visit sign-up lists for the bus captain: names, channel, count against capacity, CSV."""

from __future__ import annotations

import csv
import io

from bot.conversation import Document, Request, Text, UserRef
from bot.roles import Role, Scope
from tests.conftest import Chat


async def grant(core, chat: Chat, role: Role, scope: Scope = Scope()) -> None:
    await core.services.roles.grant(chat.ref, role, scope, by="cli:test", source="command line", now=core.clock.now())


async def join(core, name: str, channel: str = "test") -> None:
    await core.handle(Request(user=UserRef(channel, name), text="/join s3-visit-transport", display_name=name.title()))


async def test_the_roster_lists_who_joined_with_a_csv_for_the_bus_captain(core) -> None:
    await join(core, "ana")
    await join(core, "li", channel="wechat")
    boss = Chat(core, "boss")
    await grant(core, boss, Role.ORGANISER)
    await boss.say("/roster s3-visit-transport")
    text, document = boss.replies
    assert isinstance(text, Text) and isinstance(document, Document)
    assert "2 people signed up." in text.body and "1. Ana (test)" in text.body and "2. Li (WeChat)" in text.body
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert rows[0] == ["number", "name", "channel", "language", "joined_at"]
    assert [r[1:3] for r in rows[1:]] == [["Ana", "test"], ["Li", "wechat"]]
    assert document.mime_type == "text/csv" and document.filename == "roster-s3-visit-transport.csv"


async def test_a_visits_facilitator_sees_its_list_and_no_other(core) -> None:
    fac = Chat(core, "fac")
    await grant(core, fac, Role.FACILITATOR, Scope.session("s3-visit-transport"))
    assert "0 people signed up." in await fac.say("/roster s3-visit-transport")
    assert "is for the organisers and the visit's facilitators" in await fac.say("/roster s2-liurong")
    assert "only for facilitators" in await Chat(core, "nobody").say("/roster s2-liurong")


async def test_the_roster_asks_which_visit_and_counts_against_the_capacity(tmp_path) -> None:
    from tests.conftest import at, make_core
    from tests.notify.helpers import edited_programme

    core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=edited_programme(tmp_path, "s3-visit-transport", capacity="20"))
    try:
        boss = Chat(core, "boss")
        await grant(core, boss, Role.ORGANISER)
        assert "Which site visit's sign-up list?" in await boss.say("/roster")
        await join(core, "ana")
        assert "1 of 20 places taken." in await boss.say("/roster s3-visit-transport")
    finally:
        await core.close()
