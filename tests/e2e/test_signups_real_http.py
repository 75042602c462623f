"""A plain HTML form post to `chalice local`, then the emailed links, as a person would."""

from __future__ import annotations

import re
from dataclasses import replace

import requests

from chalicelib import container
from tests.support.builders import GROUP_ID, group_body, link_in, outbox_messages
from tests.support.live import chalice_local
from tests.support.stacks import Stack

SITE = "https://www.example.org"


def test_form_post_confirm_approve_unsubscribe_erase_over_http(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body())
    _, key = container.current().organizers.create(name="Org", email="org@example.org")
    auth = {"Authorization": f"Bearer {key}"}
    with chalice_local() as base:
        # The outbox's handler runs here (as make run's poller would): its links point at that server.
        ddb_stack.settings = replace(ddb_stack.settings, public_api_url=base)
        ddb_stack.rebuild()
        signups = f"{base}/groups/{GROUP_ID}/signups"
        preflight = requests.options(
            signups,
            headers={
                "Origin": SITE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        )
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == SITE
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        stranger = requests.options(signups, headers={"Origin": "https://evil.example.com"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in stranger.headers

        posted = requests.post(
            signups,
            data={
                "name": "Cleo",
                "email": "Cleo@Example.org",
                "state": "MT",
                "consent": "on",
                "website": "",
                "redirect": f"{SITE}/thanks",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert posted.status_code == 303
        assert posted.headers["Location"] == f"{SITE}/thanks"
        ddb_stack.drain()  # the outbox's stream handler (make run's poller does this on its own)
        [confirmation] = outbox_messages(ddb_stack.outbox)
        confirm = base + link_in(confirmation, "/signups/confirm")
        page = requests.get(confirm, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "Confirm my email" in page.text
        done = requests.post(confirm, data={"confirmed": "yes"}, headers={"Accept": "text/html"}, timeout=10)
        assert done.status_code == 200 and "organizers will look at your signup soon" in done.text

        waiting = requests.get(signups, params={"status": "pending_approval"}, headers=auth, timeout=10).json()
        [person] = waiting["signups"]
        approved = requests.post(f"{signups}/{person['id']}/approve", headers=auth, timeout=10)
        assert approved.json()["status"] == "active"
        ddb_stack.drain()
        welcome = outbox_messages(ddb_stack.outbox)[-1]
        unsubscribe = welcome["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith(base)
        one_click = requests.post(
            unsubscribe,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
        assert one_click.status_code == 200
        csv_text = requests.get(f"{signups}.csv", headers=auth, timeout=10).text
        assert "cleo@example.org,MT,,unsubscribed" in csv_text  # no zone said: the column is empty

        # Erasing from the email: its "Manage my membership" page links to its own erase step, a
        # page that asks once more and posts back to it.
        manage = requests.get(base + link_in(welcome, "/signups/manage"), headers={"Accept": "text/html"}, timeout=10)
        assert manage.status_code == 200
        found = re.search(r'href="https?://[^/"]+(/signups/manage\?token=[\w.\-]+&amp;step=erase)"', manage.text)
        assert found
        erase = base + found.group(1).replace("&amp;", "&")
        asks = requests.get(erase, headers={"Accept": "text/html"}, timeout=10)
        assert asks.status_code == 200 and "cannot be undone" in asks.text and "step=erase" in asks.text
        assert requests.post(erase, timeout=10).json() == {"status": "erased"}
        assert requests.get(signups, headers=auth, timeout=10).json()["signups"] == []
        bad = requests.post(signups, json={"name": "", "email": "x", "state": "TX"}, timeout=10)
        assert bad.status_code == 400
        assert {"name", "email", "state", "consent"} <= set(bad.json()["error"]["fields"])
