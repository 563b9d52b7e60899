"""genai_async: an asyncio-first client for Google's Gemini API."""
