"""``python -m genai_async``: the same as the ``genai-async`` command."""

import sys

from ._cli import main

sys.exit(main())
