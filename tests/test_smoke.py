from tests.conftest import Chat


async def test_today_lists_the_days_sessions(chat: Chat) -> None:
    out = await chat.say("today")
    assert "Liurong" in out
