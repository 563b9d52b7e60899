"""The bulk runner behind ``genai-async run`` and :mod:`genai_async.bulk` (see ``_engine.py``)."""
