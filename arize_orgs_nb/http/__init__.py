"""The HTTP layer: one ``requests`` session, the retry decision and delay, the retry budget, pacing."""
