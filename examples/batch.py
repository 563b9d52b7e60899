"""Batch API: many requests at half price, answered within 24 hours; poll, then read the results."""

import asyncio

import genai_async as genai

QUESTIONS = ["Why is the sky blue?", "What is photosynthesis?", "How do tides work?"]


async def main() -> None:
    async with genai.Client() as client:
        job = await client.batches.create(
            model="gemini-3.5-flash",
            # one inline request per question; the key comes back with its result
            src=[{"contents": q, "metadata": {"key": f"q{i}"}} for i, q in enumerate(QUESTIONS)],
            config={"display_name": "example-batch"},
        )
        print("created", job.name, job.state)

        def progress(j: genai.types.BatchJob) -> None:
            stats = j.batch_stats
            print(" ", j.state, f"{stats.finished if stats else 0}/{len(QUESTIONS)} done")

        # poll every 30 s at first, then less often; a real batch can take hours
        job = await client.batches.wait(job, poll=30, on_progress=progress)
        if job.state != genai.types.JobState.JOB_STATE_SUCCEEDED:
            raise SystemExit(f"batch ended {job.state}: {job.error}")
        async for item in client.batches.results(job):
            answer = item.response.text if item.response else f"error {item.error}"
            print(f"{item.key}: {(answer or '')[:70]}")
        await client.batches.delete(name=job)


if __name__ == "__main__":
    asyncio.run(main())
