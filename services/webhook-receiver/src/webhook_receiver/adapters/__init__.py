"""Adapters of webhook-receiver: the JetStream store for accepted pushes."""

from webhook_receiver.adapters.jetstream import JetStreamStore

__all__ = ["JetStreamStore"]
