"""API resources (``client.models``, ``client.chats``, ``client.files``, ``client.caches``)."""
