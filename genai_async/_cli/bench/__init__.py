"""``genai-async bench``: a load tester for the Gemini API (and the embedded emulator).

Modules, data flowing one way: ``prompts`` (inputs) -> ``load`` (one worker: a client, a load
shape, a record per request) -> ``runner`` / ``ray_runner`` (where workers run) -> ``metrics``
(histograms and counters that merge exactly) -> ``sweep`` (the knee) -> ``report`` and ``plots``
(what is shown and kept). ``cli`` is the argparse front. Nothing here is public API.
"""
