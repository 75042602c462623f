"""Shared pieces: statistics, the app's environment, DynamoDB Local, call counting."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import statistics
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-west-2"
WRITE_OPS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


# ------------------------------------------------------------------ statistics


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds == seconds else "n/a"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and a == a and b == b else "n/a"


# ------------------------------------------------------------------ environment


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def app_environment(table: str, endpoint: str, state_dir: Path, stage: str = "prod") -> dict[str, str]:
    """The prod stage's variables, pointed at DynamoDB Local.

    No SSM here: the key parameters are dropped, so the keys are files under LOCAL_STATE_DIR
    (in AWS the first cursor or token of a container costs one SSM GetParameter instead).
    """
    env = stage_environment(stage)
    for name in ("SIGNING_KEY_PARAM", "SIGNING_KEY_PREVIOUS_PARAM", "IDENTITY_KEY_PARAM"):
        env.pop(name, None)
    env.update(
        {
            "TABLE_NAME": table,
            "DYNAMODB_ENDPOINT": endpoint,
            "LOCAL_STATE_DIR": str(state_dir),
            "OUTBOX_DIR": str(state_dir / "outbox"),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    return env


def apply_environment(env: dict[str, str]) -> None:
    """Point this process (the in-process app) at ``env`` and forget every cached service."""
    from chalicelib import container

    for key in (
        "DYNAMODB_ENDPOINT",
        "SIGNING_KEY_PARAM",
        "SIGNING_KEY_PREVIOUS_PARAM",
        "IDENTITY_KEY_PARAM",
        "TABLE_NAME",
    ):
        os.environ.pop(key, None)
    os.environ.update(env)
    container.reset()


def ensure_signing_key(state_dir: Path) -> None:
    from chalicelib.signing import _read_or_create_local_key

    _read_or_create_local_key(str(state_dir / "signing-key"))


def raw_client(endpoint: str) -> Any:
    """A plain boto3 client (the floor), with nothing of the app's configuration."""
    import boto3

    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def create_table(client: Any, table: str) -> None:
    from chalicelib.table import ensure_table

    ensure_table(client, table)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = "n/a"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    java = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
        java = (out.stderr or out.stdout).splitlines()[0]
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "load": load,
        "python": platform.python_version(),
        "java": java,
        "platform": platform.platform(),
    }


# ------------------------------------------------------------------ counting DynamoDB calls


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    capacity: float = 0.0


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def capacity(self) -> float:
        return sum(c.capacity for c in self.calls)

    @property
    def writes(self) -> int:
        return sum(1 for c in self.calls if c.operation in WRITE_OPS)

    def capacity_of(self, ops: frozenset[str] | None = None, invert: bool = False) -> float:
        return sum(c.capacity for c in self.calls if ops is None or ((c.operation in ops) != invert))

    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]


class CallCounter:
    """Counts a client's DynamoDB calls and their consumed capacity through botocore's event hooks.

    ``before-parameter-build`` adds ReturnConsumedCapacity=TOTAL (the benchmark only; the app never
    asks for it), ``before-call`` counts and records the operation and its parameters (the floor
    replays them), ``after-call`` reads ConsumedCapacity from the response.
    """

    def __init__(self, client: Any, capacity: bool = True) -> None:
        self.client = client
        self.capacity = capacity
        self.local = threading.local()
        self.lock = threading.Lock()
        self.log: CallLog | None = None
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._before_build, unique_id="bench-capacity")
        events.register("before-call.dynamodb.*", self._before_call, unique_id="bench-count")
        events.register("after-call.dynamodb.*", self._after_call, unique_id="bench-after")

    def close(self) -> None:
        events = self.client.meta.events
        events.unregister("before-parameter-build.dynamodb.*", unique_id="bench-capacity")
        events.unregister("before-call.dynamodb.*", unique_id="bench-count")
        events.unregister("after-call.dynamodb.*", unique_id="bench-after")

    @contextlib.contextmanager
    def recording(self) -> Iterator[CallLog]:
        log = CallLog()
        self.log = log
        try:
            yield log
        finally:
            self.log = None

    def _before_build(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        # Shallow while timing (botocore does not mutate the caller's values); deep when counting.
        clone = copy.deepcopy if self.capacity else (lambda v: v)
        recorded = {k: clone(v) for k, v in params.items() if k != "ReturnConsumedCapacity"}
        self.local.pending = (model.name, recorded)
        if self.capacity and "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _before_call(self, model: Any, **_: Any) -> None:
        pending = getattr(self.local, "pending", None)
        name, params = pending if pending and pending[0] == model.name else (model.name, {})
        call = Call(name, params)
        self.local.call = call
        log = self.log
        if log is not None:
            with self.lock:
                log.calls.append(call)

    def _after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        call: Call | None = getattr(self.local, "call", None)
        if call is None or call.operation != model.name:
            return
        consumed = parsed.get("ConsumedCapacity")
        if isinstance(consumed, dict):
            consumed = [consumed]
        call.capacity = sum(float(c.get("CapacityUnits", 0.0)) for c in consumed or [])


def snake(operation: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in operation).lstrip("_")


def replay(client: Any, calls: list[Call], table_map: dict[str, str] | None = None) -> None:
    """Make the same DynamoDB calls with a plain client (the floor); conditional failures count as done."""
    from botocore.exceptions import ClientError

    for call in calls:
        params = _retable(call.params, table_map) if table_map else call.params
        try:
            getattr(client, snake(call.operation))(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                raise


def _retable(value: Any, table_map: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: (table_map.get(v, v) if k == "TableName" else _retable(v, table_map)) for k, v in value.items()}
    if isinstance(value, list):
        return [_retable(v, table_map) for v in value]
    return value


# ------------------------------------------------------------------ DynamoDB Local


@contextlib.contextmanager
def dynamodb_engine(log: Callable[[str], None]) -> Iterator[Any]:
    from devtools import dynamodb_local

    engine = dynamodb_local.start()
    log(f"DynamoDB Local on {engine.endpoint} (pid {engine.process.pid})")
    try:
        yield engine
    finally:
        engine.stop()
