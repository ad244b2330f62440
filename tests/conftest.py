"""Test-wide settings."""

from hypothesis import settings

# The same examples on every run, so a red CI run can be replayed and a green one means the same thing
# twice; exploration happens when a developer runs with --hypothesis-profile=explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=2000)
settings.load_profile("ci")

from pathlib import Path  # noqa: E402

#: The repository checkout the tests run in (tests are repository code, not library code).
ROOT = Path(__file__).resolve().parent.parent
