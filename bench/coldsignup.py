"""Cold start of the signup POST: a person's first signup in a fresh Lambda-like process, against a floor.

The request is ``POST /groups/{id}/signups`` from the chapter's website, in two forms: as a browser
without JavaScript sends it (the primary: an urlencoded form with name, email, state, the consent
checkbox, the consent version and the empty honeypot; ``Accept: text/html...``, ``Origin`` and
``Referer`` from the website, its origin only, as browsers send to another origin), answered by a 303
to the thank-you page with a link back to the website; and as the website's widget sends it (the same
fields as JSON, a CORS request), answered by the 202 with the CORS headers. The environment is the prod
stage's, with the website's origin and the API's address set as a deploy sets them
(``WEBSITE_ORIGINS``, ``PUBLIC_API_URL``).

Variants (fresh ``python3.12 -I -S -B`` processes, bench/cold_child.py, as in bench/coldstart.py),
for each form: the app's package with bytecode (``import app``, ``app.app(event, context)``) and the
floor (bench/handlers/signup_floor.py, in the floors' package with bytecode: botocore alone, the
same three DynamoDB calls, the minimum checks, the same answer). The four run in one rotation, each
app paired with its form's floor. Every child posts a new address from a new source IP, so each
one's writes are the same work: a new IP counter, a new ``INTAKE#`` item.

First the identity check (untimed): each variant serves one post with every SDK call recorded in
the child; the floor's calls for the app's inputs (its instant, its request id: the only random and
clock-made values, which live in the stored item, never in the answer) must equal the app's recorded
calls, parameter for parameter, and the floor's own recorded calls its ``calls()``; the answers
(status, both header maps, body) must be identical byte for byte (nothing in them is random).
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.coldstart import Variant, import_profile, paired_stats, spawn
from bench.common import ROOT
from bench.lambda_event import rest_event

WEBSITE = "https://www.example.org"
API = "https://api.example.org/api"
# As a deploy configures the stage (infra/): the website's origin and the API's public address.
EXTRA_ENV = {"WEBSITE_ORIGINS": WEBSITE, "PUBLIC_API_URL": API}
RESOURCE = "/groups/{group_id}/signups"
# The two ways a person's signup arrives: a browser's form post (the primary: no JavaScript), and the
# website's widget (JSON from script, a CORS request). Both from the website's page.
HEADERS = {
    "form": {
        "content-type": "application/x-www-form-urlencoded",
        "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "origin": WEBSITE,
        "referer": f"{WEBSITE}/",
        "user-agent": "Mozilla/5.0 (bench)",
    },
    "json": {
        "content-type": "application/json",
        "accept": "application/json",
        "origin": WEBSITE,
        "referer": f"{WEBSITE}/",
        "user-agent": "Mozilla/5.0 (bench)",
    },
}
STATUS = {"form": 303, "json": 202}
KINDS = ("form", "json")
# What a cold signup POST must not import (issue 23): the public form is checked without pydantic,
# an everyday address without email-validator, and a successful browser post renders no page.
MUST_NOT_IMPORT = ("pydantic", "pydantic_core", "email_validator", "jinja2")
OPERATIONS = ["GetItem", "UpdateItem", "PutItem"]
_people = itertools.count(1)


def form_event(group_id: str, kind: str = "form") -> dict[str, Any]:
    """A new person's post from a new address (so every child's writes are alike): the form's fields,
    urlencoded (``form``) or as the widget sends them (``json``)."""
    from chalicelib.signups.consent import CONSENT_VERSION

    n = next(_people)
    fields = {
        "name": f"Cold Person {n}",
        "email": f"cold.person{n}@example.org",
        "state": "MT" if n % 2 else "ID",
        "consent": "on" if kind == "form" else True,
        "consent_version": CONSENT_VERSION,
        "website": "",
    }
    body = (urlencode(fields) if kind == "form" else json.dumps(fields)).encode()
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return rest_event("POST", RESOURCE, f"/groups/{group_id}/signups", "", body, HEADERS[kind], source_ip=ip)


def expected_location(group_id: str) -> str:
    return f"{API}/embed/{group_id}/thanks?{urlencode({'back': HEADERS['form']['referer']})}"


def kind_of(variant: Variant) -> str:
    return variant.key.rsplit("-", 1)[1]


def run_child(variant: Variant, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """One cold start (bench/cold_child.py); the answer must be the success of the variant's kind."""
    sample = spawn(variant, spec, env, what="cold signup")
    if sample["status"] != STATUS[kind_of(variant)]:
        raise RuntimeError(f"cold signup child ({variant.name}) answered {sample['status']}: {sample}")
    return sample


def measure(variants: list[Variant], group_id: str, env: dict[str, str], reps: int, log: Any = None) -> None:
    """Every repetition runs each variant once, back to back, in a rotating order (after one unrecorded
    run of each: file system caches warm, like a Lambda host's); each child posts a new person."""
    for variant in variants:
        run_child(variant, {"event": form_event(group_id, kind_of(variant))}, env)
    started = time.perf_counter()
    for rep in range(reps):
        order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
        for variant in order:
            variant.samples.append(run_child(variant, {"event": form_event(group_id, kind_of(variant))}, env))
        if log is not None and (rep + 1) % 20 == 0 and rep + 1 < reps:
            log(f"  {rep + 1} of {reps} repetitions ({time.perf_counter() - started:.0f} s)")


def _floor_module() -> Any:
    import importlib.util

    path = ROOT / "bench" / "handlers" / "signup_floor.py"
    loaded = importlib.util.spec_from_file_location("signup_floor_check", path)
    assert loaded is not None
    assert loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def _inputs(event: dict[str, Any]) -> tuple[dict[str, str], str]:
    from urllib.parse import parse_qs

    if event["headers"]["content-type"] == "application/json":
        fields = json.loads(event["body"])
    else:
        fields = {k: v[0] for k, v in parse_qs(event["body"], keep_blank_values=True).items()}
    form = {"name": fields["name"], "email": fields["email"].lower(), "state": fields["state"]}
    return form, event["requestContext"]["identity"]["sourceIp"]


def _expected_calls(floor: Any, table: str, group_id: str, event: dict[str, Any], recorded: list[Any]) -> Any:
    """The floor's calls for this post, made at the recorded put's instant with its request id."""
    put = next((params for op, params in recorded if op == "PutItem"), None)
    if put is None:
        return None
    form, ip = _inputs(event)
    return [
        [op, params]
        for op, params in floor.calls(
            table=table,
            group_id=group_id,
            form=form,
            ip=ip,
            moment=datetime.fromisoformat(put["Item"]["received_at"]["S"]),
            request_id=put["Item"]["request_id"]["S"],
        )
    ]


def check_identity(
    app: Variant, floor_variant: Variant, group_id: str, env: dict[str, str], table: str
) -> dict[str, Any]:
    """One post each (of the pair's kind), every SDK call recorded in the child: the floor's calls for the
    app's post are the app's, the floor's own post makes its ``calls()``, and the answers are identical."""
    floor = _floor_module()
    kind = kind_of(app)
    problems: list[str] = []
    answers: dict[str, Any] = {}
    calls: dict[str, Any] = {}
    for variant in (app, floor_variant):
        event = form_event(group_id, kind)
        sample = run_child(variant, {"event": event, "keep_response": True, "record_calls": True}, env)
        answers[variant.key] = sample["response"]
        calls[variant.key] = sample["calls"]
        if _expected_calls(floor, table, group_id, event, sample["calls"]) != sample["calls"]:
            who = "the app's" if variant is app else "the floor's own"
            problems.append(f"{kind}: the signup floor's DynamoDB calls are not {who} (bench/handlers/signup_floor.py)")
    reference = answers[app.key]
    if json.dumps(answers[floor_variant.key]) != json.dumps(reference):
        problems.append(f"{kind}: the signup floor does not answer byte for byte as the app does")
    operations = [op for op, _ in calls[app.key]]
    if operations != OPERATIONS:
        problems.append(
            f"a cold signup {kind} post makes {', '.join(operations)}; the design is {', '.join(OPERATIONS)}"
        )
    headers = reference.get("headers") or {}
    if kind == "form":
        shown = str(headers.get("Location"))
        right = reference.get("statusCode") == 303 and shown == expected_location(group_id)
    else:
        shown = str(reference.get("body"))
        right = reference.get("statusCode") == 202 and headers.get("Access-Control-Allow-Origin") == WEBSITE
    if not right:
        problems.append(f"a cold signup {kind} post answered {reference.get('statusCode')}: {shown}")
    return {
        "problems": problems,
        "identical": not problems,
        "answer": reference,
        "operations": operations,
        "summary": f"{kind}: app {reference.get('statusCode')} {shown}; calls {', '.join(operations)}"
        + (f"; {'; '.join(problems)}" if problems else "; the floor's calls and answer are the app's"),
    }


def run(
    cfg: Any, work: Path, runtime: Path, after_dir: Path, floor_dir: Path, ctx: dict[str, Any], log: Any
) -> dict[str, Any]:
    """The section: identity, then the paired repetitions (the four variants in one rotation), then one
    import profile of the form post. Returns what the report renders; ``problems`` lists the broken
    invariants."""
    from bench.seed import GROUP_ID

    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {
        **ctx["env"],
        **EXTRA_ENV,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    what = {"form": "the form post (no JavaScript)", "json": "the widget's JSON post"}
    pairs: dict[str, tuple[Variant, Variant]] = {}
    for kind in KINDS:
        app = Variant(f"app-{kind}", f"app, {what[kind]}", "app", [str(after_dir), str(runtime)])
        floor = Variant(
            f"floor-{kind}",
            f"floor, {what[kind]}: botocore only, by hand",
            "module",
            [str(floor_dir), str(runtime)],
            module="signup_floor",
        )
        pairs[kind] = (app, floor)
    problems: list[str] = []
    identity = {}
    for kind, (app, floor) in pairs.items():
        identity[kind] = check_identity(app, floor, GROUP_ID, env, ctx["env"]["TABLE_NAME"])
        problems += identity[kind]["problems"]
        log(f"cold signup identity: {identity[kind]['summary']}")
    variants = [v for pair in pairs.values() for v in (pair[1], pair[0])]
    log(f"cold signup POST: {len(variants)} variants x {cfg.cold_signup_reps} fresh processes, interleaved")
    measure(variants, GROUP_ID, env, cfg.cold_signup_reps, log)
    stats: dict[str, dict[str, Any]] = {}
    heavy: dict[str, list[str]] = {}
    for kind, (app, floor) in pairs.items():
        heavy[kind] = sorted({name for s in app.samples for name in MUST_NOT_IMPORT if s["imported"].get(name)})
        if heavy[kind]:
            problems.append(f"a cold signup {kind} post imports {', '.join(heavy[kind])} (issue 23: it must not)")
        stats[kind] = {key: paired_stats(app, floor, key) for key in ("total_s", "total_cpu_s")}
        for key, st in stats[kind].items():
            log(
                f"  {kind}: app vs floor ({key}): ratio of medians {st['ratio_of_medians']:.3f}, median of "
                f"paired {st['paired']:.3f} (halves {st['first_half']:.3f} / {st['second_half']:.3f})"
            )
    paired = stats["form"]["total_s"]["paired"]
    if cfg.cold_signup_max is not None and not paired <= cfg.cold_signup_max:
        problems.append(
            f"cold signup form post: {paired:.2f}x its floor (median of paired ratios), "
            f"the target is {cfg.cold_signup_max:g}x"
        )
    form_app = pairs["form"][0]
    profile = import_profile(form_app, {"event": form_event(GROUP_ID)}, env) if cfg.name == "full" else []
    return {
        "variants": variants,
        "pairs": pairs,
        "identity": identity,
        "stats": stats,
        "heavy": heavy,
        "profile": profile,
        "problems": problems,
        "request": {"headers": HEADERS, "env": EXTRA_ENV},
    }
