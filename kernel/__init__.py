"""What every layer shares and nothing else owns: the clock, the error vocabulary, the settings.

It imports no other docgen folder, so storage, document technology, the use cases and the edges may
all import it without an arrow running back up (docs/ARCHITECTURE.md).
"""
