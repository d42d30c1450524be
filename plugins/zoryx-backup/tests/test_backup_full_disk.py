"""A backup on a full disk (a real tmpfs filled up) is answered "the disk is full" with the path,
and leaves no half-written snapshot or record behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from commands_world import BotStarter, Staff

from zoryx_core.testing.disks import MountRefused, fill_disk, small_tmpfs


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB tmpfs (skips, saying why, where mounting is not permitted)."""
    try:
        with small_tmpfs(tmp_path / "disk") as mount:
            yield mount
    except MountRefused as refused:
        pytest.skip(str(refused))


async def test_a_backup_on_a_full_disk_names_the_disk(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path, small_disk: Path
) -> None:
    emu = staff.emu
    data = small_disk / "data"
    _, service = await start_staff_bot(tmp_path / "home", core={"data_dir": str(data)}, cooldown_seconds=0)
    made = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate before"))
    assert made["title"] == "✅ Backup #1 made"
    fill_disk(small_disk)

    refused = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate after"))
    assert "disk is full" in refused["description"] and str(data) in refused["description"], refused
    assert "Something went wrong" not in refused["description"]
    assert [record.label for record in await service.list_backups(staff.guild.id)] == ["before"]
    leftovers = [p.name for p in data.rglob("*.tmp")]
    assert leftovers == []
