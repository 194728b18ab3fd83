"""Helpers any layer may use: secret masking, did-you-mean, durations, dotted paths, gc pausing."""
