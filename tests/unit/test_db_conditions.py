"""Conditions built from named parts: placeholders merge, compound parts are grouped once
(DynamoDB refuses redundant parentheses), and two parts may not disagree on a placeholder."""

from __future__ import annotations

import pytest

from chalicelib.db import ITEM_IS_NEW, Cond, Update, merge_expression, status_in, version_is


def test_compound_operands_are_parenthesised_once() -> None:
    a = Cond("a = :a", values={":a": 1})
    b = Cond("b = :b OR c = :c", values={":b": 2, ":c": 3})
    combined = a & b
    assert combined.text == "a = :a AND (b = :b OR c = :c)"
    assert (combined | ITEM_IS_NEW).text == "(a = :a AND (b = :b OR c = :c)) OR attribute_not_exists(pk)"
    assert (Cond("(x = :x)") & a).text == "(x = :x) AND a = :a"
    assert (Cond("f(a) AND g(b)") | a).text == "(f(a) AND g(b)) OR a = :a"


def test_placeholders_merge_and_conflicts_are_refused() -> None:
    cond = status_in(("a", "b")) & version_is(3)
    assert cond.kwargs() == {
        "ConditionExpression": "#status IN (:status0, :status1) AND #version = :expected_version",
        "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
        "ExpressionAttributeValues": {":status0": {"S": "a"}, ":status1": {"S": "b"}, ":expected_version": {"N": "3"}},
    }
    with pytest.raises(ValueError, match=":v"):
        Cond("a = :v", values={":v": 1}) & Cond("b = :v", values={":v": 2})


def test_update_and_condition_share_one_request() -> None:
    request = merge_expression(Update(sets={"status": "x"}, removes=("note",), adds={"n": 1}).request(), ITEM_IS_NEW)
    assert request["UpdateExpression"] == "SET #s0 = :s0 REMOVE #r0 ADD #a0 :a0"
    assert request["ConditionExpression"] == "attribute_not_exists(pk)"
    assert request["ExpressionAttributeNames"] == {"#s0": "status", "#r0": "note", "#a0": "n"}
