"""The transactional outbox: every email a state change promises is written as an outbox item in
the same DynamoDB transaction as the change, and sent by its own handler (the table's stream in
AWS; a poller of DynamoDB Local's stream under `make run`), idempotently."""
