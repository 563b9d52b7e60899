"""A local Gemini API emulator (work in progress)."""
