"""pytest plugin exposing the ``gemini_emulator`` fixture (work in progress)."""
