# infra/: the AWS CDK app that deploys mbc-connect. Included at the end of the main Makefile,
# so PYTHON_BOOT and node_modules/.stamp (the pinned aws-cdk CLI) come from there.
# See infra/README.md and docs/deploy.md.

INFRA_VENV := infra/.venv
INFRA_PY := $(INFRA_VENV)/bin/python
# Run from infra/ (where cdk.json is).
CDK := ../node_modules/.bin/cdk
# No network here and none needed: no notices, no CLI telemetry. jsii's Node 20 end-of-life
# banner is silenced (the machine's Node is 20; the banner is printed on every synth).
INFRA_ENV := CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
STAGE ?= dev
WAF ?=
# The organisation: deploy/$(ORG).json. Empty: the one organisation file in deploy/.
ORG ?=

.PHONY: infra-setup infra-synth infra-test infra-clean infra-check-stage deploy

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

# make deploy STAGE=dev|prod [ORG=...] [WAF=true]
# Deploys the shared stack (if changed) and the stage's stack with the credentials in your
# environment (AWS_PROFILE), in the region of deploy/<org>.json (the CDK app refuses another).
deploy: infra-check-stage infra-setup
	cd infra && rm -rf cdk.out chalice.out && $(INFRA_ENV) $(CDK) deploy --no-notices \
		-c stage=$(STAGE) $(if $(ORG),-c org=$(ORG)) $(if $(WAF),-c waf=$(WAF)) \
		--require-approval broadening $(STAGE)

infra-check-stage:
	@case "$(STAGE)" in dev|prod) ;; *) echo "STAGE must be dev or prod, not '$(STAGE)'"; exit 2;; esac

infra-clean:
	rm -rf $(INFRA_VENV) infra/cdk.out infra/chalice.out
