"""The marketplace's operations as conversations: who may, the terms, a two-step confirmation,
progress on one message, and the result or the step that failed. Commands and menu buttons
both start them (with a command context or an interaction)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from packaging.utils import canonicalize_name
from packaging.version import Version

from marketplace_client import CatalogError, InstallError, PluginNotFoundError, Update
from zoryx_core import PluginError
from zoryx_core.redact import redact_url
from zoryx_core.ui import ConfirmView, Target, error_embed, info_embed, plural, success_embed, warning_embed

from .progress import StatusBoard, StepLog
from .prompts import DataChoiceView, ensure_terms, reply
from .render import failure_embed, fixdeps_embed, install_embed, missing_lines, status_text
from .service import SELF, MarketplaceService

if TYPE_CHECKING:
    from marketplace_client import Catalog, CatalogVersion, InstallResult, Progress, ProgressCallback

__all__ = ["Operations"]

log = logging.getLogger("zoryx.plugin.zoryx-marketplace")


def _cannot_change_self(action: str) -> discord.Embed:
    return error_embed(
        f"The marketplace cannot {action} itself",
        f"Use the command line for {SELF}: `zoryx {'update' if action == 'update' else action} {SELF}`, "
        "then restart the bot.",
    )


class Operations:
    """Install, update, uninstall, fixdeps and myid, for one bot's marketplace service."""

    def __init__(self, service: MarketplaceService) -> None:
        self.service = service

    # --- shared steps --------------------------------------------------------------------------------

    async def refuse_unless_owner(self, target: Target, user: discord.abc.User, action: str) -> bool:
        """True (after telling the user, privately where possible) when ``user`` is no bot owner."""
        if self.service.is_owner(user.id):
            return False
        await reply(
            target,
            embed=error_embed("Bot owners only", f"Only the bot's owners can {action}."),
            ephemeral=True,
        )
        return True

    async def catalog_for(self, target: Target, *, allow_stale: bool = False) -> Catalog | None:
        """The catalog, or None after telling the user why there is none. With ``allow_stale``, the
        last good copy is used when a fetch fails (for reading, never for installing)."""
        try:
            return await self.service.catalog()
        except CatalogError as error:
            if allow_stale and error.cached is not None:
                log.warning("showing the cached catalog: %s", error)
                return error.cached
            await reply(
                target, embed=error_embed("The marketplace is unavailable", str(error)), ephemeral=True
            )
            return None

    async def terms_accepted(self, target: Target, user: discord.abc.User, catalog: Catalog) -> bool:
        """Ask for the terms if ``user`` has not accepted this version; True once accepted."""
        return await ensure_terms(
            target, user, catalog, self.service.terms, timeout=self.service.ui.confirm_timeout
        )

    async def _confirmed(
        self, target: Target, user: discord.abc.User, embed: discord.Embed, command: str
    ) -> StatusBoard | None:
        """A two-step confirmation only ``user`` can answer (and only while still allowed to run
        ``marketplace <command>``); the board of its message when confirmed, else None."""
        view = ConfirmView(
            author=user, timeout=self.service.ui.confirm_timeout, command_name=f"marketplace {command}"
        )
        message = await view.send(target, embed=embed)
        confirmed = await view.wait_result()
        board = StatusBoard(view.message or message)
        if not confirmed:
            await board.show(info_embed("Cancelled", "Nothing was changed."))
            return None
        if not self.service.is_owner(user.id):  # the owner list is checked again after the wait
            await board.show(error_embed("Bot owners only", "Only the bot's owners can change plugins."))
            return None
        return board

    @staticmethod
    def _reporter(board: StatusBoard, steps: StepLog, title: str) -> ProgressCallback:
        async def report(progress: Progress) -> None:
            if steps.record(progress):
                await board.running(title, steps)

        return report

    def _newest_for_core(self, catalog: Catalog, name: str) -> CatalogVersion | None:
        return catalog.get(name).latest_compatible(self.service.core_version())

    # --- install -------------------------------------------------------------------------------------

    async def install(
        self, target: Target, user: discord.abc.User, request: str, *, catalog: Catalog | None = None
    ) -> None:
        """Install ``NAME`` or ``NAME==VERSION`` and load it live (bot owners only)."""
        if await self.refuse_unless_owner(target, user, "install plugins"):
            return
        from marketplace_client import parse_install_request  # the installer's module, imported now

        try:
            name, pinned = parse_install_request(request)
        except ValueError as error:
            await reply(
                target,
                embed=error_embed("Not a plugin", f"{error}. Give a plugin name, or NAME==VERSION."),
                ephemeral=True,
            )
            return
        if name == SELF:
            await reply(target, embed=_cannot_change_self("install"), ephemeral=True)
            return
        if catalog is None:
            catalog = await self.catalog_for(target)
            if catalog is None:
                return
        if not await self.terms_accepted(target, user, catalog):
            return
        core = self.service.core_version()
        try:
            plugin = catalog.get(name)
            entry = plugin.version(pinned) if pinned else plugin.latest_compatible(core)
        except PluginNotFoundError as error:
            await reply(target, embed=error_embed("Not in the marketplace", str(error)), ephemeral=True)
            return
        if entry is None:
            await reply(
                target,
                embed=error_embed(
                    f"{plugin.name} cannot be installed here",
                    f"No version supports zoryx-core {core}; the newest, {plugin.latest.version}, needs "
                    f"zoryx-core {plugin.latest.requires_core}.",
                ),
                ephemeral=True,
            )
            return
        installed = await self.service.installed_version(plugin.name)
        if installed is not None and Version(installed) == entry.parsed:
            hint = "" if self.service.is_loaded(plugin.name) else f" It is not loaded: `load {plugin.name}`."
            await reply(
                target,
                embed=info_embed(f"{plugin.name} {installed} is already installed", f"Nothing to do.{hint}"),
            )
            return
        question = warning_embed(
            f"Install {plugin.name} {entry.version}?",
            f"{plugin.summary or 'No summary.'}\n\nThe wheel is downloaded, checked against the catalog's "
            "sha256, installed with its dependencies from "
            f"`{redact_url(self.service.options.index_url)}` and loaded live. If anything fails, the "
            "environment is put back as it was.",
            fields=[
                ("Status", status_text(plugin.status), True),
                ("Installed now", installed or "no", True),
                ("Author", plugin.author or "-", True),
            ],
        )
        board = await self._confirmed(target, user, question, "install")
        if board is None:
            return
        requested = f"{plugin.name}=={entry.version}"
        steps = StepLog()
        title = f"Installing {plugin.name} {entry.version}"
        try:
            result = await self.service.install(requested, progress=self._reporter(board, steps, title))
        except InstallError as error:
            await board.show(
                failure_embed(f"Installing {plugin.name} failed", error, steps.text(failed=error.step))
            )
            return
        await self._finished(board, result, steps)

    async def _finished(self, board: StatusBoard, result: InstallResult, steps: StepLog) -> None:
        loaded = self.service.is_loaded(result.name)
        await board.show(install_embed(result, loaded, steps.text(finished=True)))
        await self.service.emit(
            "marketplace.installed",
            name=result.name,
            version=result.version,
            previous_version=result.previous_version,
            action=result.action.value,
            loaded=loaded,
        )

    # --- update --------------------------------------------------------------------------------------

    async def update(self, target: Target, user: discord.abc.User, name: str | None) -> None:
        """Update one installed plugin, or every outdated one, reloading those loaded (owners only)."""
        if await self.refuse_unless_owner(target, user, "update plugins"):
            return
        catalog = await self.catalog_for(target)
        if catalog is None or not await self.terms_accepted(target, user, catalog):
            return
        if name:
            updates = await self._one_update(target, catalog, name)
            if updates is None:
                return
        else:
            try:
                updates = await self.service.outdated()
            except InstallError as error:
                await reply(target, embed=failure_embed("Checking for updates failed", error, "-"))
                return
            if any(update.name == SELF for update in updates):
                log.info("an update of %s is available; it is updated from the command line", SELF)
            updates = [update for update in updates if update.name != SELF]
            if not updates:
                await reply(
                    target,
                    embed=success_embed(
                        "Everything is up to date",
                        "Every installed plugin listed in the marketplace has its newest version "
                        "for this zoryx-core.",
                    ),
                )
                return
        lines = "\n".join(f"`{u.name}` {u.installed} → **{u.available}**" for u in updates)
        question = warning_embed(
            f"Update {len(updates)} plugin{'' if len(updates) == 1 else 's'}?",
            f"{lines}\n\nEach is verified, installed and reloaded live; one that fails is rolled back.",
        )
        board = await self._confirmed(target, user, question, "update")
        if board is None:
            return
        if len(updates) == 1:
            steps = StepLog()
            update = updates[0]
            title = f"Updating {update.name} to {update.available}"
            try:
                result = await self.service.upgrade(update.name, progress=self._reporter(board, steps, title))
            except InstallError as error:
                await board.show(
                    failure_embed(f"Updating {update.name} failed", error, steps.text(failed=error.step))
                )
                return
            await self._finished(board, result, steps)
            return
        await self._update_all(board, updates)

    async def _one_update(self, target: Target, catalog: Catalog, name: str) -> list[Update] | None:
        key = str(canonicalize_name(name))
        if key == SELF:
            await reply(target, embed=_cannot_change_self("update"), ephemeral=True)
            return None
        installed = await self.service.installed_version(key)
        if installed is None:
            await reply(
                target,
                embed=error_embed("Not installed", f"{key} is not installed; install it first."),
                ephemeral=True,
            )
            return None
        try:
            best = self._newest_for_core(catalog, key)
        except PluginNotFoundError as error:
            await reply(target, embed=error_embed("Not in the marketplace", str(error)), ephemeral=True)
            return None
        if best is None or best.parsed <= Version(installed):
            await reply(
                target,
                embed=success_embed(
                    f"{key} is up to date",
                    f"{installed} is the newest version for zoryx-core {self.service.core_version()}.",
                ),
            )
            return None
        return [Update(key, installed, best.version)]

    async def _update_all(self, board: StatusBoard, updates: list[Update]) -> None:
        outcome: list[str] = []
        failed = 0
        for number, update in enumerate(updates, 1):
            steps = StepLog()
            title = f"Updating {update.name} ({number}/{len(updates)})"
            try:
                result = await self.service.upgrade(update.name, progress=self._reporter(board, steps, title))
            except InstallError as error:
                failed += 1
                state = "left as it was" if error.restored else "NOT restored"
                outcome.append(
                    f"❌ `{update.name}`: failed at step **{error.step.value}**: {error.reason} "
                    f"(environment {state})"
                )
                continue
            loaded = "reloaded" if self.service.is_loaded(result.name) else "not loaded"
            outcome.append(f"✅ `{result.name}` {result.previous_version} → {result.version} ({loaded})")
            await self.service.emit(
                "marketplace.installed",
                name=result.name,
                version=result.version,
                previous_version=result.previous_version,
                action=result.action.value,
                loaded=self.service.is_loaded(result.name),
            )
        text = "\n".join(outcome)
        if failed:
            await board.show(warning_embed(f"{failed} of {len(updates)} updates failed", text))
        else:
            await board.show(success_embed(f"Updated {plural(len(updates), 'plugin')}", text))

    # --- uninstall -----------------------------------------------------------------------------------

    async def uninstall(self, target: Target, user: discord.abc.User, name: str) -> None:
        """Unload, ask about the data folder, remove the distribution (owners only). A removal that
        fails loads the plugin back."""
        if await self.refuse_unless_owner(target, user, "uninstall plugins"):
            return
        key = str(canonicalize_name(name))
        if key == SELF:
            await reply(target, embed=_cannot_change_self("uninstall"), ephemeral=True)
            return
        version = await self.service.installed_version(key)
        if version is None:
            await reply(
                target, embed=error_embed("Not installed", f"{key} is not installed."), ephemeral=True
            )
            return
        question = warning_embed(
            f"Uninstall {key} {version}?",
            "It is unloaded first (its commands go at once), then you choose whether its data folder "
            "stays, then the distribution is removed. Libraries it installed stay installed.",
        )
        board = await self._confirmed(target, user, question, "uninstall")
        if board is None:
            return
        steps = StepLog()
        steps.begin("unload", f"unloading {key}")
        await board.running(f"Uninstalling {key}", steps)
        try:
            was_loaded = await self.service.unload(key)
        except PluginError as error:
            await board.show(
                error_embed(f"{key} was not uninstalled", f"It cannot be unloaded: {error}. Nothing changed.")
            )
            return
        folder = self.service.data_dir_of(key)
        delete = False
        if await asyncio.to_thread(folder.is_dir):
            chooser = DataChoiceView(
                user, timeout=self.service.ui.confirm_timeout, command_name="marketplace uninstall"
            )
            await board.show(DataChoiceView.question(key, str(folder)), view=chooser)
            chooser.message = board.message
            delete = await chooser.wait_choice()
        try:
            result = await self.service.uninstall(
                key, progress=self._reporter(board, steps, f"Uninstalling {key}")
            )
        except InstallError as error:
            back = await self.service.load_back(key) if was_loaded else None
            embed = failure_embed(f"Uninstalling {key} failed", error, steps.text(failed=error.step))
            if was_loaded:
                embed.add_field(
                    name="Plugin", value="loaded again" if back is None else f"not loaded again: {back}"
                )
            await board.show(embed)
            return
        data = f"kept in `{folder}`" if await asyncio.to_thread(folder.is_dir) else "none"
        if delete:
            try:
                await self.service.delete_data(folder)
                data = "deleted"
            except OSError as problem:
                data = f"could not be deleted: {problem}"
        await board.show(
            success_embed(
                f"Uninstalled {result.name} {result.version}",
                ("It was unloaded; its commands are gone." if was_loaded else "It was not loaded.")
                + " Libraries it installed stay installed.",
                fields=[("Steps", steps.text(finished=True), False), ("Data folder", data, False)],
            )
        )
        await self.service.emit(
            "marketplace.uninstalled",
            name=result.name,
            version=result.version,
            data_deleted=data == "deleted",
        )

    # --- fixdeps and myid ----------------------------------------------------------------------------

    async def fixdeps(self, target: Target, user: discord.abc.User) -> None:
        """Install what installed plugins declare but lack, from their metadata (owners only)."""
        if await self.refuse_unless_owner(target, user, "install missing dependencies"):
            return
        try:
            missing = await self.service.missing_requirements()
        except InstallError as error:
            await reply(target, embed=failure_embed("Checking requirements failed", error, "-"))
            return
        if not missing:
            await reply(
                target,
                embed=success_embed("Nothing to fix", "Every installed plugin has what it declares."),
            )
            return
        question = warning_embed(
            "Install missing requirements?",
            f"{missing_lines(missing)}\n\nThey are resolved together with every installed plugin at its "
            f"version, from `{redact_url(self.service.options.index_url)}`; a failure is rolled back.",
        )
        board = await self._confirmed(target, user, question, "fixdeps")
        if board is None:
            return
        steps = StepLog()
        try:
            result = await self.service.fixdeps(
                progress=self._reporter(board, steps, "Installing missing requirements")
            )
        except InstallError as error:
            await board.show(failure_embed("fixdeps failed", error, steps.text(failed=error.step)))
            return
        await board.show(fixdeps_embed(result, steps.text(finished=True)))

    async def send_instance_id(self, target: Target, user: discord.abc.User) -> None:
        """Send the bot's marketplace instance id to ``user`` (an owner) by direct message only."""
        if await self.refuse_unless_owner(target, user, "see the marketplace instance id"):
            return
        ident = await self.service.instance_id()
        sent = "It is sent with each marketplace request."
        if not self.service.options.send_instance_id:
            sent = "It is not sent to the marketplace (marketplace.send_instance_id is false)."
        embed = info_embed(
            "Marketplace instance id",
            f"`{ident}`\n\nThis id identifies this bot's installation, not a person. {sent}",
        )
        try:
            if isinstance(user, discord.abc.Messageable):
                await user.send(embed=embed)
                delivered = True
            else:
                delivered = False
        except discord.HTTPException:
            delivered = False
        if not delivered:
            await reply(
                target,
                embed=error_embed(
                    "Direct message refused",
                    "I could not send you a direct message; allow direct messages from this server's "
                    "members, then try again. The id is never shown in a channel.",
                ),
                ephemeral=True,
            )
            return
        await reply(
            target,
            embed=success_embed("Sent", "The marketplace instance id is in your direct messages."),
            ephemeral=True,
        )
