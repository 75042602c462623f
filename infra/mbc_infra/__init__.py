"""The mbc-connect CDK app (see infra/README.md)."""
