"""OpenTelemetry: each model call is one span (GenAI semantic conventions), printed to the console here.

pip install 'genai-async[otel]' opentelemetry-sdk
"""

import asyncio

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

import genai_async as genai

# A real service would export with OTLP (opentelemetry-exporter-otlp) through a BatchSpanProcessor.
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
trace.set_tracer_provider(provider)

genai.instrument()  # every client created from now on; prompts and answers stay out (capture_content=False)


async def main() -> None:
    async with genai.Client() as client:
        # A span of your own: the model calls' spans become its children.
        with trace.get_tracer("example").start_as_current_span("answer-question"):
            r = await client.models.generate_content(model="gemini-3.5-flash", contents="How does AI work?")
            print(r.text)
            # A stream's span ends with the stream; it carries a first-chunk event.
            async for chunk in await client.models.generate_content_stream(model="gemini-3.5-flash", contents="Hi"):
                print(chunk.text or "", end="")
            print()


if __name__ == "__main__":
    asyncio.run(main())
    provider.shutdown()
