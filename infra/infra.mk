# infra/: the AWS CDK app that deploys mbc-connect, and the volunteer's deploy commands.
# Included at the end of the main Makefile, so PYTHON_BOOT and node_modules/.stamp (the pinned
# aws-cdk CLI) come from there. See infra/README.md and docs/deploy.md.

INFRA_VENV := infra/.venv
INFRA_PY := $(INFRA_VENV)/bin/python
# Run from infra/ (where cdk.json is).
CDK := ../node_modules/.bin/cdk
# No network here and none needed: no notices, no CLI telemetry. jsii's Node 20 end-of-life
# banner is silenced (the machine's Node is 20; the banner is printed on every synth).
INFRA_ENV := CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# The organisation: deploy/$(ORG).json. Empty: the one organisation file in deploy/.
ORG ?=
STAGE ?= dev
WAF ?=
DOMAIN ?=
ALARM_EMAIL ?=
BASE ?= main
NO_GRACE ?=
AS ?=
ACCOUNT ?=
# The deploy scripts (devtools/deploy_*.py) run in infra/.venv: boto3, the CDK, the app's requirements.
DEPLOY_ORG := $(if $(ORG),--org '$(ORG)')

.PHONY: infra-setup infra-synth infra-test infra-clean infra-check-stage infra-diff-baseline \
	synth preflight first-deploy deploy diff status alarm-test stage-cli \
	keys-create keys-escrow keys-restore rotate-signing-key retire-previous-signing-key \
	sending-stop sending-resume abandon-first-deploy adopt-table

$(INFRA_VENV)/.stamp: infra/requirements.txt requirements.txt
	@test -n "$(PYTHON_BOOT)" || { echo "python3.12 not found (pyenv or PATH)"; exit 1; }
	test -x $(INFRA_PY) || $(PYTHON_BOOT) -m venv $(INFRA_VENV)
	$(INFRA_PY) -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $@

infra-setup: $(INFRA_VENV)/.stamp node_modules/.stamp

# Offline: cdk synth of shared + dev + prod for the committed example organisation
# (deploy/example.org.json; its placeholders are allowed with offline_check and nowhere else).
# cdk-nag (AwsSolutions) runs inside the synth as a CDK validation plugin: any finding fails it;
# --strict also fails it on any warning.
infra-synth: infra-setup
	cd infra && rm -rf cdk.out chalice.out && $(INFRA_ENV) $(CDK) synth --no-notices --quiet --strict \
		-c org=example.org -c offline_check=true

# Offline: synth (+ cdk-nag), cfn-lint on every template, then the assertion tests.
infra-test: infra-synth
	$(INFRA_VENV)/bin/cfn-lint infra/cdk.out/*.template.json
	cd infra && $(INFRA_ENV) .venv/bin/pytest

infra-check-stage:
	@case "$(STAGE)" in dev|prod) ;; *) echo "STAGE must be dev or prod, not '$(STAGE)'"; exit 2;; esac

# ---------------------------------------------------------------- offline, your organisation

# make synth [ORG=...]: your organisation's templates (deploy/<org>.json), checked by cdk-nag. No AWS account.
synth: infra-setup
	$(INFRA_PY) -m devtools.deploy_cdk synth $(DEPLOY_ORG)

# make infra-diff-baseline BASE=<git ref> STAGE=prod: what updating from BASE to this tree changes,
# both sides synthesized here (no AWS account).
infra-diff-baseline: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_cdk baseline-diff --stage $(STAGE) --base '$(BASE)' $(DEPLOY_ORG)

# ---------------------------------------------------------------- with an AWS account (docs/deploy.md)

# make first-deploy DOMAIN=mbc-idmt.org ALARM_EMAIL=alarms@mbc-idmt.org
first-deploy: infra-setup
	$(INFRA_PY) -m devtools.deploy_first --domain '$(DOMAIN)' --alarm-email '$(ALARM_EMAIL)' $(DEPLOY_ORG)

# make abandon-first-deploy DOMAIN=mbc-idmt.org [STAGE=prod]: stops a half-made first deploy (deletes only
# stacks that hold nothing: rolled back, failed, or waiting for the certificate's DNS record; never a table).
abandon-first-deploy: infra-setup
	$(INFRA_PY) -m devtools.deploy_recover abandon --stage $(if $(filter command line environment,$(origin STAGE)),$(STAGE),prod) \
		--domain '$(DOMAIN)' $(DEPLOY_ORG)

# make adopt-table STAGE=prod: the stage's data stack takes back an existing table (import, nothing copied).
adopt-table: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_recover adopt-table --stage $(STAGE) $(DEPLOY_ORG)

preflight: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_preflight --stage $(STAGE) $(DEPLOY_ORG)

# make deploy STAGE=dev|prod [WAF=true]: preflight, missing keys, shared (if changed) + the stage.
deploy: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_cdk deploy --stage $(STAGE) $(DEPLOY_ORG) $(if $(WAF),--waf $(WAF))

diff: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_cdk diff --stage $(STAGE) $(DEPLOY_ORG)

# make status STAGE=prod [AS=operator]: AS=operator runs as the mbc-connect-operator role (no data, no keys).
status: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_status --stage $(STAGE) $(DEPLOY_ORG) $(if $(filter operator,$(AS)),--as-operator)

alarm-test: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_status --stage $(STAGE) --test-alarm $(DEPLOY_ORG) $(if $(filter operator,$(AS)),--as-operator)

# make stage-cli STAGE=prod ARGS='organizers create --name "Dana" --email dana@... --role admin'
stage-cli: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_cli --stage $(STAGE) $(DEPLOY_ORG) -- "$$ARGS"

keys-create keys-escrow keys-restore: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_keys $(patsubst keys-%,%,$@) --stage $(STAGE) $(DEPLOY_ORG)

rotate-signing-key: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_keys rotate --stage $(STAGE) $(DEPLOY_ORG) $(if $(NO_GRACE),--no-grace)

retire-previous-signing-key: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_keys retire-previous --stage $(STAGE) $(DEPLOY_ORG)

sending-stop sending-resume: infra-check-stage infra-setup
	$(INFRA_PY) -m devtools.deploy_sending $(patsubst sending-%,%,$@) --stage $(STAGE) $(DEPLOY_ORG) \
		$(if $(ACCOUNT),--account)

infra-clean:
	rm -rf $(INFRA_VENV) infra/cdk.out infra/chalice.out
