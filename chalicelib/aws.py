"""Lazy, once-per-container AWS clients. Nothing here runs at import time: botocore costs
~100 ms to import and is only needed once a request touches AWS. Clients come straight from
botocore (boto3's clients are the same objects; importing the boto3 package only adds
s3transfer and multiprocessing to every cold start)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _client(service: str, settings: Settings, endpoint: str | None = None, *, retries: int = 4) -> Any:
    import botocore.session
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "region_name": settings.aws_region,
        "config": Config(
            retries={"total_max_attempts": retries, "mode": "standard"}, connect_timeout=3, read_timeout=10
        ),
    }
    if endpoint:
        # DynamoDB Local accepts any credentials; never let it pick up real ones.
        kwargs.update(endpoint_url=endpoint, aws_access_key_id="local", aws_secret_access_key="local")
    session: Any = botocore.session.get_session()
    return session.create_client(service, **kwargs)


@lru_cache(maxsize=4)
def dynamodb_client(settings: Settings | None = None) -> DynamoDBClient:
    s = settings or get_settings()
    client: DynamoDBClient = _client("dynamodb", s, s.dynamodb_endpoint)
    return client


@lru_cache(maxsize=4)
def generic_client(service: str, settings: Settings | None = None) -> Any:
    return _client(service, settings or get_settings())


@lru_cache(maxsize=2)
def ses_client(settings: Settings | None = None) -> Any:
    """SES v2 with no automatic retries: a retry after a read timeout or a 5xx may send an email SES
    already accepted. Callers retry throttling only, themselves (chalicelib/mail/backends.py)."""
    return _client("sesv2", settings or get_settings(), retries=1)


@lru_cache(maxsize=4)
def dynamodb_streams_client(settings: Settings | None = None) -> Any:
    """The table's stream (read by the local poller; in AWS, Lambda's event source mapping reads it)."""
    s = settings or get_settings()
    return _client("dynamodbstreams", s, s.dynamodb_endpoint)
