"""Roles: granted by platform id or by a one-time invitation, checked in one place, audited."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot import admin
from bot.config import Settings
from bot.conversation import Reply, Request, Text, UserRef
from bot.roles import INVITE_CODE, Grant, RedeemError, Role, Roles, Scope, parse_grants
from bot.router import Context
from tests.channels.wechat.kit import APPID, SECRET, FakeWeChatAPI, wechat_rig
from tests.conftest import PROGRAMME, ROOT, Chat, at, make_core
from tests.channels.telegram.fake import TOKEN, USER_ID, FakeBotAPI, Harness, text_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)


async def audit_actions(core) -> list[tuple[str, str, str | None]]:
    return [(e.actor, e.action, e.target) for e in reversed(await core.services.audit.recent(100))]


def settings_of(core, **changes) -> Settings:
    return dataclasses.replace(core.settings, **changes)


# -- grants and the check ---------------------------------------------------------------


def test_configured_grants_are_platform_ids_with_an_optional_scope() -> None:
    grants = parse_grants(Role.FACILITATOR, "telegram:123456789, wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M@stream:s2")
    assert grants == [
        Grant("telegram", "123456789", Role.FACILITATOR, Scope()),
        Grant("wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", Role.FACILITATOR, Scope("stream", "s2")),
    ]
    with pytest.raises(ValueError, match="not channel:platform-id"):
        parse_grants(Role.ORGANISER, "@alice")


def test_a_malformed_role_setting_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="BOT_ORGANISERS"):
        Settings.from_env({"BOT_ORGANISERS": "alice"})


async def test_scopes_cover_what_they_should(core) -> None:
    agenda = core.programmes.agenda
    stream2 = Scope.stream("s2")
    assert stream2.covers(Scope.session("s2-liurong"), agenda)
    assert not stream2.covers(Scope.session("s3-cases"), agenda)
    assert Scope().covers(Scope.session("s3-cases"), agenda)
    assert Scope.session("panel").covers(None, agenda)  # "a facilitator of anything"
    assert not Scope.session("panel").covers(Scope.stream("s2"), agenda)


async def test_organisers_may_act_as_anyone_and_facilitators_only_in_their_scope(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        roles: Roles = core.services.roles
        roles.set_static(parse_grants(Role.ORGANISER, "telegram:1") + parse_grants(Role.FACILITATOR, "telegram:2@stream:s2"))
        agenda = core.programmes.agenda
        boss, fac, nobody = UserRef("telegram", "1"), UserRef("telegram", "2"), UserRef("telegram", "3")
        assert await roles.allows(boss, Role.MODERATOR, Scope.session("panel"), agenda)
        assert await roles.allows(fac, Role.FACILITATOR, Scope.session("s2-liurong"), agenda)
        assert not await roles.allows(fac, Role.FACILITATOR, Scope.session("panel"), agenda)
        assert not await roles.allows(fac, Role.ORGANISER)
        assert not await roles.allows(nobody, Role.FACILITATOR)
        assert not await roles.allows(UserRef("wechat", "1"), Role.ORGANISER)  # the id is per channel
    finally:
        await core.close()


async def test_a_role_in_the_programme_is_granted_and_follows_a_reload(tmp_path: Path) -> None:
    text = PROGRAMME.read_text(encoding="utf-8") + "\nstaff:\n  - {role: facilitator, channel: telegram, id: '42', scope: 'stream:s1', name: A facilitator}\n"
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=path)
    try:
        roles = core.services.roles
        assert await roles.allows(UserRef("telegram", "42"), Role.FACILITATOR, Scope.session("s1-cases"), core.programmes.agenda)
        path.write_text(PROGRAMME.read_text(encoding="utf-8"), encoding="utf-8")
        await core.programmes.reload()
        assert not await roles.allows(UserRef("telegram", "42"), Role.FACILITATOR)
    finally:
        await core.close()


def test_a_staff_scope_naming_an_unknown_stream_is_a_programme_error(tmp_path: Path, capsys) -> None:
    from bot.cli import main

    path = tmp_path / "programme.yaml"
    path.write_text(PROGRAMME.read_text(encoding="utf-8") + "\nstaff:\n  - {role: facilitator, channel: telegram, id: '42', scope: 'stream:s9'}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "staff scope names unknown stream 's9'" in out and f"{path}:" in out


# -- invitations --------------------------------------------------------------------------


async def test_an_invitation_works_once_and_only_before_it_expires(core) -> None:
    roles: Roles = core.services.roles
    now = core.clock.now()
    code, invitation = await roles.invite(Role.MODERATOR, Scope.session("panel"), by="cli:test", now=now, lifetime=dt.timedelta(hours=1))
    assert INVITE_CODE.match(code)
    row = await core.db.fetchone("SELECT code_hash FROM invitations WHERE id = ?", (invitation.id,))
    assert code not in row[0]  # only a hash is kept
    grant = await roles.redeem(code, UserRef("wechat", "o_mod"), now)
    assert grant.role is Role.MODERATOR and grant.scope == Scope.session("panel")
    with pytest.raises(RedeemError) as used:
        await roles.redeem(code, UserRef("wechat", "o_other"), now)
    assert used.value.reason == "used"
    late, _ = await roles.invite(Role.FACILITATOR, Scope(), by="cli:test", now=now, lifetime=dt.timedelta(hours=1))
    with pytest.raises(RedeemError) as expired:
        await roles.redeem(late, UserRef("wechat", "o_late"), now + dt.timedelta(hours=2))
    assert expired.value.reason == "expired"
    with pytest.raises(RedeemError) as unknown:
        await roles.redeem("inv_AAAAAAAAAAAAAAAA", UserRef("wechat", "o_guess"), now)
    assert unknown.value.reason == "unknown"
    actions = [a for _, a, _ in await audit_actions(core)]
    assert actions.count("invitation.created") == 2 and actions.count("invitation.refused") == 3
    assert "role.granted" in actions and "invitation.redeemed" in actions


def test_invite_then_redeem_in_the_console_grants_the_role(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DB": str(tmp_path / "bot.sqlite3"), "PYTHONPATH": str(ROOT)}
    for name in ("BOT_TELEGRAM_TOKEN", "BOT_WECHAT_APPID", "BOT_WECHAT_SECRET", "BOT_WECHAT_TOKEN"):
        env.pop(name, None)

    def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)

    invited = bot("invite", "organiser")
    assert invited.returncode == 0, invited.stderr
    code = next(line.split(": ", 1)[1] for line in invited.stdout.splitlines() if line.startswith("Code: "))
    before = bot("console", "--at", "2025-06-05T10:00+08:00", stdin="/staff\n")
    assert "only for the event's organisers" in before.stdout
    redeemed = bot("console", "--at", "2025-06-05T10:00+08:00", stdin=f"/redeem {code}\n/staff\n")
    assert "Invitation accepted" in redeemed.stdout and "organiser for the whole event" in redeemed.stdout
    assert "console:local" in redeemed.stdout  # /staff now answers
    listed = bot("roles")
    assert "organiser" in listed.stdout and "console:local" in listed.stdout
    audit = bot("audit").stdout
    for action in ("invitation.created", "permission.refused", "role.granted", "invitation.redeemed", "command"):
        assert action in audit, action


async def test_invite_prints_a_telegram_deep_link_and_redeeming_it_in_telegram_grants_the_role(
    telegram: Harness, fake_api: FakeBotAPI
) -> None:
    core = telegram.core
    out = io.StringIO()
    settings = settings_of(core, telegram_token=TOKEN, telegram_api_url=fake_api.url)
    assert await admin.invite(settings, core.programmes.programme, Role.ORGANISER, Scope(), dt.timedelta(days=7), out=out) == 0
    printed = out.getvalue()
    link = next(line.split(": ", 1)[1] for line in printed.splitlines() if line.startswith("Telegram link: "))
    assert link.startswith("https://t.me/companion_test_bot?start=inv_")
    code = link.split("start=", 1)[1]

    refused = text_of(await telegram.say("/staff"))
    assert "only for the event's organisers" in refused
    assert not await core.services.roles.allows(UserRef("telegram", str(USER_ID)), Role.ORGANISER)
    accepted = text_of(await telegram.say(f"/start {code}"))  # what Telegram sends when the link is opened
    assert "Invitation accepted" in accepted
    assert await core.services.roles.allows(UserRef("telegram", str(USER_ID)), Role.ORGANISER)
    assert f"telegram:{USER_ID}" in text_of(await telegram.say("/staff"))
    actions = await audit_actions(core)
    assert (f"telegram:{USER_ID}", "permission.refused", "command:staff") in actions
    assert (f"telegram:{USER_ID}", "invitation.redeemed", "invitation:1") in actions
    assert (f"telegram:{USER_ID}", "command", "command:staff") in actions


async def test_invite_makes_a_wechat_qr_scene_and_following_through_it_grants_the_role(core) -> None:
    api = FakeWeChatAPI()
    await api.start()
    try:
        out = io.StringIO()
        settings = settings_of(core, wechat_appid=APPID, wechat_secret=SECRET, wechat_api_url=api.url, wechat_token="t")
        assert await admin.invite(settings, core.programmes.programme, Role.FACILITATOR, Scope.stream("s2"), dt.timedelta(days=3), out=out) == 0
        (scene,) = api.qr_scenes
        assert INVITE_CODE.match(scene)
        printed = out.getvalue()
        assert "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=ticket-1" in printed
        assert "█" in printed or "▀" in printed  # the QR code itself, drawn in the terminal
        async with wechat_rig(core, api) as rig:
            li = rig.follower("o_li")
            answer = await li.event("subscribe", EventKey=f"qrscene_{scene}")  # a new follower, through the QR code
            assert answer.text is not None and "Invitation accepted" in answer.text
            assert await core.services.roles.allows(UserRef("wechat", "o_li"), Role.FACILITATOR, Scope.session("s2-liurong"), core.programmes.agenda)
            # an existing follower scanning another invitation: a SCAN event with the bare scene
            code, _ = await core.services.roles.invite(Role.MODERATOR, Scope(), by="cli:test", now=core.clock.now())
            again = await li.event("SCAN", EventKey=code)
            assert again.text is not None and "moderator" in again.text
            # and a code pasted as a message works too
            code, _ = await core.services.roles.invite(Role.ORGANISER, Scope(), by="cli:test", now=core.clock.now())
            pasted = await rig.follower("o_zhang").say(code)
            assert pasted.text is not None and "Invitation accepted" in pasted.text
    finally:
        await api.close()
    actions = await audit_actions(core)
    assert ("wechat:o_li", "invitation.redeemed", "invitation:1") in actions


# -- the guard ----------------------------------------------------------------------------


async def test_a_command_that_declares_a_role_is_refused_politely_to_others_and_audited(core, chat: Chat) -> None:
    async def secret(req: Request, ctx: Context) -> Sequence[Reply]:
        return [Text("the secret")]

    core.router.command("secret", description="A secret", role=Role.FACILITATOR)(secret)
    out = await chat.say("/secret please")
    assert "only for facilitators" in out and "the secret" not in out
    assert "/secret" not in await chat.say("/help")  # not offered to delegates
    await core.services.roles.grant(chat.ref, Role.FACILITATOR, Scope.session("panel"), by="cli:test", source="command line", now=core.clock.now())
    assert await chat.say("/secret please") == "the secret"
    assert "/secret — A secret" in await chat.say("/help")  # offered to the facilitator
    actions = await audit_actions(core)
    assert ("test:alice", "permission.refused", "command:secret") in actions
    assert ("test:alice", "command", "command:secret") in actions


async def test_a_dialogue_step_is_guarded_like_its_command(core, chat: Chat) -> None:
    from bot.dialogues import DialogueKey, Step

    async def step(req: Request, ctx: Context) -> Sequence[Reply]:
        return [Text(f"got {req.args}")]

    core.router.step("compose", role=Role.ORGANISER)(step)
    await core.services.dialogues.begin(DialogueKey.of(chat.ref), Step("compose", core.clock.now() + dt.timedelta(hours=1)), core.clock.now())
    assert "only for the event's organisers" in await chat.say("hello everyone")


async def test_organisers_list_and_revoke_roles_in_the_chat(core, chat: Chat) -> None:
    roles: Roles = core.services.roles
    now = core.clock.now()
    await roles.grant(chat.ref, Role.ORGANISER, Scope(), by="cli:test", source="command line", now=now)
    fac = await roles.grant(UserRef("wechat", "o_fac"), Role.FACILITATOR, Scope.stream("s1"), by="cli:test", source="command line", now=now)
    listed = await chat.say("/staff")
    assert f"#{fac.id}" in listed and "wechat:o_fac" in listed
    assert "Revoked" in await chat.say(f"/revoke {fac.id}")
    assert not await roles.allows(UserRef("wechat", "o_fac"), Role.FACILITATOR)
    assert "There is no role" in await chat.say(f"/revoke {fac.id}")
    invited = await chat.say("/invite facilitator stream:s3 2d")
    assert "Code: inv_" in invited and "Stream 3" in invited
    assert "is not in the programme" in await chat.say("/invite facilitator stream:s9")
    assert "is not a role" in await chat.say("/invite king")
    assert "invitation.created" in await chat.say("/audit")
