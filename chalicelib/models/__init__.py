"""pydantic models: the single source of validation and of the OpenAPI schemas."""
