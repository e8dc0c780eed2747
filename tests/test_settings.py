"""Context-local settings: language and disclosure rules per thread and asyncio task."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pandas as pd
import pytest

import quartier
from quartier.errors import ParameterError, QuartierError
from quartier.reporting.disclosure_control import (
    DisclosureRules,
    apply_disclosure,
    disclosure,
    get_disclosure,
    protect_table,
    resolve_rules,
    set_disclosure,
)
from quartier.settings import get_language, language, resolve_language, set_language

COUNTS = pd.DataFrame({"plr": ["01", "02", "03", "04"], "n": [2, 40, 7, 55]})
PROTECTED = [True, False, True, False]  # min_count 3: 2 primary, 7 secondary


def _hidden(result) -> list[bool]:
    return result.table["n"].isna().tolist()


def _run_in_threads(*targets, timeout: float = 30.0) -> list:
    """Run each target in its own thread; return their results, re-raise their errors."""
    results: list = [None] * len(targets)
    errors: list = []

    def wrap(i, target):
        try:
            results[i] = target()
        except BaseException as err:  # handed to the test thread
            errors.append(err)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["fr", "DE", "", None, 1])
def test_unknown_language_is_a_parameter_error(bad):
    with pytest.raises(ParameterError, match="lang must be one of 'de', 'en'"):
        set_language(bad)
    with pytest.raises(ParameterError):
        with language(bad):
            pass  # pragma: no cover
    assert get_language() == "de"


def test_parameter_error_is_a_quartier_error_and_a_value_error():
    assert issubclass(ParameterError, QuartierError)
    assert issubclass(ParameterError, ValueError)
    assert quartier.ParameterError is ParameterError
    with pytest.raises(ParameterError, match="min_count must be a positive whole number"):
        set_disclosure(0)
    with pytest.raises(ParameterError, match="round_to"):
        with disclosure(3, round_to=-5):
            pass  # pragma: no cover
    with pytest.raises(ParameterError, match="unknown option"):
        with disclosure(3, min_cont=4):
            pass  # pragma: no cover
    assert get_disclosure() is None


def test_resolvers():
    assert resolve_language(None) == "de"
    assert resolve_language("en") == "en"
    with language("en"):
        assert resolve_language(None) == "en"
        assert resolve_language("de") == "de"
    with pytest.raises(ParameterError, match="not 'fr'"):
        resolve_language("fr")

    rules = DisclosureRules(min_count=5)
    assert resolve_rules(None) is None
    assert resolve_rules(rules) is rules
    with disclosure(3) as in_force:
        assert resolve_rules(None) is in_force
        assert resolve_rules(False) is None
        assert resolve_rules(rules) is rules
    for bad in (3, True, "3", {"min_count": 3}):
        with pytest.raises(ParameterError, match="DisclosureRules"):
            resolve_rules(bad)


# --- blocks restore ----------------------------------------------------------------------------


def test_nested_disclosure_blocks_restore_and_leave_nothing_behind():
    with disclosure(3, secondary=False) as outer:
        assert get_disclosure() is outer
        with disclosure(10, round_to=5) as inner:
            assert get_disclosure() is inner and inner.round_to == 5
            set_disclosure(20)  # ends with the inner block
            assert get_disclosure().min_count == 20
        assert get_disclosure() is outer
        assert get_disclosure().min_count == 3 and get_disclosure().round_to is None
        with disclosure(None):
            assert apply_disclosure(COUNTS).table is COUNTS
        assert _hidden(apply_disclosure(COUNTS)) == [True, False, False, False]
    assert get_disclosure() is None
    assert apply_disclosure(COUNTS).table is COUNTS


def test_blocks_restore_after_an_error():
    with pytest.raises(RuntimeError):
        with language("en"), disclosure(3):
            raise RuntimeError("boom")
    assert get_language() == "de" and get_disclosure() is None


def test_nested_language_blocks_restore():
    set_language("en")
    with language("de"):
        with language("en"):
            assert quartier.format_number(1234.5, 1) == "1,234.5"
            set_language("de")
            assert get_language() == "de"
        assert quartier.format_number(1234.5, 1) == "1.234,5"
    assert get_language() == "en"


# --- per-call overrides ------------------------------------------------------------------------


def test_per_call_overrides_win_over_the_context():
    with disclosure(3), language("en"):
        assert apply_disclosure(COUNTS, rules=False).table is COUNTS
        assert _hidden(apply_disclosure(COUNTS)) == PROTECTED
        relaxed = apply_disclosure(COUNTS, rules=DisclosureRules(min_count=3, secondary=False))
        assert _hidden(relaxed) == [True, False, False, False]
        assert quartier.format_number(1234.5, 1, lang="de") == "1.234,5"
        assert quartier.format_percent(0.5, lang="de") == "50,0 %"
        assert list(quartier.label_columns(pd.DataFrame({"deficit": [1.0]}), lang="de")) == [
            "Fehlbedarf (Plätze)"]
        assert list(quartier.label_columns(pd.DataFrame({"deficit": [1.0]}))) == [
            "deficit (places)"]
    assert _hidden(apply_disclosure(COUNTS, rules=DisclosureRules(min_count=3))) == PROTECTED
    with pytest.raises(ParameterError):
        apply_disclosure(COUNTS, rules=3)


def test_protect_table_takes_its_defaults_from_rules():
    table = pd.DataFrame({"u6": [2, 10, 12], "6_15": [8, 30, 38], "ges": [10, 40, 50]},
                         index=["Nord", "Süd", "Summe"])
    expected = protect_table(table, 3, total_row="Summe", total_column="ges")
    out = protect_table(table, total_row="Summe", total_column="ges",
                        rules=DisclosureRules(min_count=3))
    pd.testing.assert_frame_equal(out.table, expected.table)
    pd.testing.assert_frame_equal(out.suppressed, expected.suppressed)
    with disclosure(3):
        with pytest.raises(QuartierError, match="needs a minimum count"):
            protect_table(table, total_row="Summe", total_column="ges", rules=False)


# --- threads -----------------------------------------------------------------------------------


def test_two_threads_with_different_settings_at_the_same_time():
    barrier = threading.Barrier(2, timeout=20)

    def protected_english():
        with disclosure(3), language("en"):
            barrier.wait()  # both threads are inside their blocks now
            out = (_hidden(apply_disclosure(COUNTS)), quartier.format_number(1234.5, 1))
            barrier.wait()  # neither leaves its block before the other has written
            return out

    def unprotected_german():
        with disclosure(None), language("de"):
            barrier.wait()
            out = (_hidden(apply_disclosure(COUNTS)), quartier.format_number(1234.5, 1))
            barrier.wait()
            return out

    english, german = _run_in_threads(protected_english, unprotected_german)
    assert english == (PROTECTED, "1,234.5")
    assert german == ([False] * 4, "1.234,5")
    assert get_language() == "de" and get_disclosure() is None


def test_disclosure_none_in_one_thread_does_not_unprotect_another():
    set_disclosure(3)  # the main thread's rules
    entered, written = threading.Event(), threading.Event()

    def switch_off():
        with disclosure(None):
            entered.set()
            assert written.wait(20)

    worker = threading.Thread(target=switch_off)
    worker.start()
    try:
        assert entered.wait(20)
        # the worker is inside `with disclosure(None)` right now
        assert _hidden(apply_disclosure(COUNTS)) == PROTECTED
    finally:
        written.set()
        worker.join(20)
    assert get_disclosure().min_count == 3


def test_a_new_thread_starts_from_the_process_wide_default():
    set_language("en")
    set_disclosure(3)

    def settings():
        return get_language(), get_disclosure()

    # a plain thread does not inherit the main thread's context ...
    assert _run_in_threads(settings) == [("de", None)]
    # ... unless it runs in a copy of it
    ctx = contextvars.copy_context()
    [(lang, rules)] = _run_in_threads(lambda: ctx.run(settings))
    assert lang == "en" and rules.min_count == 3
    # the process-wide default reaches every thread that set nothing itself
    set_language("en", process_wide=True)
    set_disclosure(5, process_wide=True)
    [(lang, rules)] = _run_in_threads(settings)
    assert lang == "en" and rules.min_count == 5
    assert get_language() == "en" and get_disclosure().min_count == 5  # the caller follows


def test_set_in_a_thread_stays_in_that_thread():
    def set_english():
        set_language("en")
        set_disclosure(3)
        return get_language()

    assert _run_in_threads(set_english) == ["en"]
    assert get_language() == "de" and get_disclosure() is None


# --- asyncio -----------------------------------------------------------------------------------


def test_two_asyncio_tasks_keep_their_own_settings():
    async def task(lang, min_count, barrier):
        with language(lang), disclosure(min_count):
            await barrier.wait()  # both tasks are inside their blocks
            await asyncio.sleep(0)
            out = (_hidden(apply_disclosure(COUNTS)), quartier.format_number(1234.5, 1))
            await barrier.wait()
            return out

    async def main():
        barrier = asyncio.Barrier(2)
        return await asyncio.gather(task("en", 3, barrier), task("de", None, barrier))

    english, german = asyncio.run(main())
    assert english == (PROTECTED, "1,234.5")
    assert german == ([False] * 4, "1.234,5")
    assert get_language() == "de" and get_disclosure() is None


def test_an_asyncio_task_sees_the_settings_where_it_was_created():
    async def read():
        return get_language(), get_disclosure()

    async def main():
        with language("en"), disclosure(3):
            inside = asyncio.create_task(read())
        outside = asyncio.create_task(read())
        return await inside, await outside

    (lang_in, rules_in), (lang_out, rules_out) = asyncio.run(main())
    assert (lang_in, rules_in.min_count) == ("en", 3)
    assert (lang_out, rules_out) == ("de", None)


# --- command line -----------------------------------------------------------------------------


def test_cli_lang_applies_to_the_command_only(tmp_path, capsys):
    from quartier.batch.cli import EXIT_BAD_INPUT, main

    missing = str(tmp_path / "fehlt.gpkg")
    assert main(["--lang", "en", "join", missing, missing, "--key", "id"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("Error: ")
    assert get_language() == "de"
    set_language("en")
    assert main(["--lang", "de", "join", missing, missing, "--key", "id"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("Fehler: ")
    assert get_language() == "en"
    # without --lang the caller's language is used
    assert main(["join", missing, missing, "--key", "id"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("Error: ")


# --- the autouse fixture in conftest.py resets what a test leaves behind -----------------------


def test_leak_language_and_rules():
    set_language("en")
    set_disclosure(3)
    set_language("en", process_wide=True)
    set_disclosure(3, process_wide=True)


def test_nothing_leaked_from_the_previous_test():
    assert get_language() == "de"
    assert get_disclosure() is None
    assert _run_in_threads(lambda: (get_language(), get_disclosure())) == [("de", None)]
