"""A local OpenAI-compatible stub server: a test double, never used by the product."""

from tests.stub.server import StubConfig, StubServer

__all__ = ["StubConfig", "StubServer"]
