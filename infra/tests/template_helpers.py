"""Small readers for synthesized CloudFormation templates (plain dicts)."""

from __future__ import annotations

from typing import Any


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], role_id: str) -> dict[str, dict[str, Any]]:
    """The Allow statements of a role's inline policies, by Sid."""
    role = template["Resources"][role_id]
    out: dict[str, dict[str, Any]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            out[statement["Sid"]] = statement
    return out


def flatten(value: Any) -> str:
    """A readable string for an ARN built with Fn::Join / Ref / GetAtt (for endswith checks)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(flatten(p) for p in parts)
        if "Ref" in value:
            return "${" + value["Ref"] + "}"
        if "Fn::GetAtt" in value:
            return "${" + ".".join(value["Fn::GetAtt"]) + "}"
        if "Fn::Sub" in value:
            return flatten(value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0])
    return repr(value)


def iam_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every identity policy in the template (roles' inline policies and
    AWS::IAM::Policy / ManagedPolicy resources). Resource policies (KMS, SNS) are not here."""
    out: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                out += policy["PolicyDocument"]["Statement"]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            out += props["PolicyDocument"]["Statement"]
    return out
