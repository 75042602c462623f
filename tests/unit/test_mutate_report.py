"""`make mutate`'s report (devtools/mutate.py): how survivors are named, matched against the list of
equivalent mutants and scored, and that the list still describes the code (mutmut itself is not run
here: `make mutate` does that)."""

from __future__ import annotations

from pathlib import Path

from devtools.mutate import (
    MODULES,
    ROOT,
    Equivalent,
    Outcome,
    changed_lines,
    function_of,
    load_equivalents,
    mark_equivalents,
    report,
)

DIFF = """# chalicelib.meetings.wording.x_clock__mutmut_4: survived
--- chalicelib/meetings/wording.py
+++ chalicelib/meetings/wording.py
@@ -1,3 +1,3 @@
 def clock(moment: datetime) -> str:
-    return f"{moment:%I}".lstrip("0") + f":{moment:%M %p}"
+    return f"{moment:%I}".lstrip("XX0XX") + f":{moment:%M %p}"
"""


def test_mutant_names_give_their_function() -> None:
    assert function_of("chalicelib.meetings.wording.x_clock__mutmut_4") == "clock"
    assert function_of("chalicelib.validation.x__reasonable_year__mutmut_4") == "_reasonable_year"
    assert function_of("chalicelib.validation.xǁSingleLineǁ__iter____mutmut_10") == "SingleLine.__iter__"
    assert function_of("chalicelib.distribution.planner.xǁPlannerǁplan__mutmut_41") == "Planner.plan"


def test_a_diff_gives_the_changed_lines() -> None:
    removed, added = changed_lines(DIFF)
    assert removed == ['return f"{moment:%I}".lstrip("0") + f":{moment:%M %p}"']
    assert added == ['return f"{moment:%I}".lstrip("XX0XX") + f":{moment:%M %p}"']


def _outcome() -> Outcome:
    statuses = {
        "chalicelib.meetings.wording.x_clock__mutmut_4": "survived",
        "chalicelib.meetings.wording.x_clock__mutmut_5": "killed",
        "chalicelib.meetings.wording.x_clock__mutmut_6": "timeout",
        "chalicelib.meetings.wording.x_time_left__mutmut_1": "survived",
    }
    diffs = dict.fromkeys(statuses, DIFF)
    return Outcome("wording", statuses, diffs)


def test_equivalents_are_matched_by_module_function_and_line() -> None:
    entry = Equivalent(
        "wording",
        "clock",
        'return f"{moment:%I}".lstrip("0") + f":{moment:%M %p}"',
        'return f"{moment:%I}".lstrip("XX0XX") + f":{moment:%M %p}"',
        "a set of characters",
    )
    other_module = Equivalent("truth", entry.function, entry.before, entry.after, entry.reason)
    other_change = Equivalent("wording", "clock", entry.before, "return 1", entry.reason)
    outcome = _outcome()
    mark_equivalents(outcome, [other_module, other_change])
    assert outcome.equivalent == {}
    mark_equivalents(outcome, [entry])
    # The same diff in another function (time_left) is not the listed mutant.
    assert outcome.equivalent == {"chalicelib.meetings.wording.x_clock__mutmut_4": "a set of characters"}


def test_score_counts_timeouts_as_killed_and_leaves_equivalents_out() -> None:
    outcome = _outcome()
    assert (outcome.total, outcome.killed, outcome.score) == (4, 2, 0.5)
    outcome.equivalent["chalicelib.meetings.wording.x_clock__mutmut_4"] = "why"
    assert outcome.score == 2 / 3
    text = report([outcome])
    assert "| chalicelib/meetings/wording.py | 2 / 4 | 1 | 67% |" in text
    assert "x_time_left__mutmut_1 [survived]" in text and "x_clock__mutmut_4 [" not in text


def test_every_listed_equivalent_still_describes_the_code() -> None:
    """When a module changes, its entries must be looked at again: an entry whose line is gone fails here."""
    entries = load_equivalents()
    assert entries
    for entry in entries:
        source = (ROOT / MODULES[entry.module].source).read_text()
        lines = {line.strip() for line in source.splitlines()}
        assert entry.before.strip() in lines, (entry.module, entry.function, entry.before)
        assert f"def {entry.function.rsplit('.', 1)[-1]}(" in source, entry
        assert entry.reason.strip()


def test_each_module_has_its_own_tests_and_none_on_dynamodb_local() -> None:
    for target in MODULES.values():
        assert (ROOT / target.source).is_file()
        for test in target.tests:
            text = Path(ROOT / test).read_text()
            assert "ddb_stack" not in text and "ddblocal" not in text, test
