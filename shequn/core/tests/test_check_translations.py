from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _catalogue(tmp_path: Path, entries: list[polib.POEntry]) -> Path:
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for entry in entries:
        po.append(entry)
    path = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    path.mkdir(parents=True)
    po.save(str(path / "django.po"))
    return tmp_path / "locale"


def test_untranslated_and_fuzzy_entries_fail(settings, tmp_path):
    settings.LOCALE_PATHS = [
        _catalogue(
            tmp_path,
            [
                polib.POEntry(msgid="Members", msgstr="成员"),
                polib.POEntry(msgid="Chapters", msgstr=""),
                polib.POEntry(msgid="Dashboard", msgstr="仪表盘", flags=["fuzzy"]),
            ],
        )
    ]
    with pytest.raises(CommandError) as exc:
        call_command("check_translations", no_scan=True)
    assert "(2 entries)" in str(exc.value)
    assert "untranslated: 'Chapters'" in str(exc.value)
    assert "fuzzy: 'Dashboard'" in str(exc.value)


def test_complete_catalogue_passes(settings, tmp_path, capsys):
    settings.LOCALE_PATHS = [_catalogue(tmp_path, [polib.POEntry(msgid="Members", msgstr="成员")])]
    call_command("check_translations", no_scan=True)
    assert "complete" in capsys.readouterr().out


def test_scan_finds_strings_missing_from_catalogue(settings, tmp_path):
    settings.LOCALE_PATHS = [_catalogue(tmp_path, [polib.POEntry(msgid="Members", msgstr="成员")])]
    with pytest.raises(CommandError) as exc:
        call_command("check_translations")
    # Strings of the code are not in this tiny catalogue; the translated one is not reported.
    assert "(new in the code)" in str(exc.value)
    assert "'Members'" not in str(exc.value)
