"""Repositories: the only code that knows item layouts. Each takes a boto3
DynamoDB client and a table name, so tests can hand in moto or DynamoDB Local."""
