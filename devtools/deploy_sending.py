"""Emergency stop for all of a stage's email, and resuming it.

    make sending-stop STAGE=prod      # SES refuses every message of the stage's configuration set, at once
    make sending-resume STAGE=prod    # sending again; what waited is sent by the next runs
    make sending-stop STAGE=prod ACCOUNT=1   # the whole AWS account's SES sending (both stages, everything)

Stopping turns off the configuration set's sending (every message the app sends goes through it)
and writes ``sending_enabled: false`` for the stage in deploy/<org>.json, so a deploy during the
stop does not resume it: commit that change. While stopped, the app's sends fail with a paused
error: runs stop with ``stopped: "account"`` (the distribution-stopped alarm fires, as it should),
outbox items stay pending, and nothing is lost; after resuming, the next distribution run (every 15
minutes) sends what is due and sweeps the outbox.
"""

from __future__ import annotations

import argparse

from devtools.deploy_common import connect, heading, load_org, say, set_org_value, stage_names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("stop", "resume"))
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    parser.add_argument("--account", action="store_true", help="the whole account's SES sending instead")
    args = parser.parse_args(argv)
    org = load_org(args.org)
    aws = connect(org)
    enabled = args.command == "resume"
    ses = aws.client("sesv2")
    names = stage_names(args.stage)
    heading(f"{'Resuming' if enabled else 'Stopping'} email for {'the whole account' if args.account else args.stage}")
    if args.account:
        ses.put_account_sending_attributes(SendingEnabled=enabled)
        say("OK", f"SES account sending {'enabled' if enabled else 'DISABLED'} in {aws.region} (every stage)")
    else:
        ses.put_configuration_set_sending_options(ConfigurationSetName=names.configuration_set, SendingEnabled=enabled)
        say("OK", f"configuration set {names.configuration_set}: sending {'enabled' if enabled else 'STOPPED'}")
        set_org_value(org, args.stage, "sending_enabled", enabled)
        say("OK", f"{org.relative_path}: stages.{args.stage}.sending_enabled = {str(enabled).lower()} (commit it)")
    state = ses.get_configuration_set(ConfigurationSetName=names.configuration_set)
    say(
        "OK",
        f"check: {names.configuration_set} SendingEnabled = {state.get('SendingOptions', {}).get('SendingEnabled')}",
    )
    if enabled:
        print("\nThe next distribution run (within 15 minutes) sends what is due and the outbox items that waited.")
    else:
        print(f"\nStopped. Resume with: make sending-resume STAGE={args.stage}{' ACCOUNT=1' if args.account else ''}")


if __name__ == "__main__":
    main()
