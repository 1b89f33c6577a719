"""Deterministic PCM WAV audio for the local backend (standard library only).

The clip is a short melody: notes from a pentatonic scale chosen by a hash of prompt and seed,
each with a soft attack/release envelope and a couple of harmonics. Mono, 16-bit, little-endian
PCM written with :mod:`wave`, which every audio tool reads.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from typing import Any

from image_skill.local.media.art import Stream

__all__ = ["render_wav", "wav_info"]

_PENTATONIC = (0, 2, 4, 7, 9)  # semitone offsets within an octave


def render_wav(
    prompt: str, *, seed: int, duration_seconds: float = 2.0, sample_rate: int = 22050
) -> bytes:
    """Render a mono 16-bit WAV clip whose notes depend on ``prompt`` and ``seed``."""
    if not 0 < duration_seconds <= 60:
        raise ValueError("duration_seconds must be in (0, 60]")
    if not 8000 <= sample_rate <= 96000:
        raise ValueError("sample_rate must be in [8000, 96000]")
    rng = Stream("image-skill-local-audio", seed, prompt)
    total = max(1, round(duration_seconds * sample_rate))
    note_count = rng.integer(3, 8)
    root = 45 + rng.integer(0, 15)  # MIDI note number of the scale root (A2..C4)
    notes = [
        root + 12 * rng.integer(0, 2) + _PENTATONIC[rng.integer(0, len(_PENTATONIC) - 1)]
        for _ in range(note_count)
    ]
    harmonic = rng.between(0.1, 0.4)
    samples = array("h", bytes(2 * total))
    per_note = total / note_count
    fade = max(1, int(min(per_note * 0.2, 0.02 * sample_rate)))
    two_pi = 2 * math.pi
    for index, note in enumerate(notes):
        freq = 440.0 * 2 ** ((note - 69) / 12)
        start = int(index * per_note)
        end = int((index + 1) * per_note) if index < note_count - 1 else total
        length = end - start
        step = two_pi * freq / sample_rate
        for i in range(length):
            envelope = min(1.0, i / fade, (length - i) / fade)
            phase = step * i
            value = math.sin(phase) + harmonic * math.sin(2 * phase)
            samples[start + i] = int(11000 * envelope * value)
    if sys.byteorder == "big":
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


def wav_info(data: bytes) -> dict[str, Any]:
    """Duration, rate and channel count of a PCM WAV file."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        frames = reader.getnframes()
        rate = reader.getframerate()
        return {
            "duration_seconds": frames / rate if rate else None,
            "sample_rate": rate,
            "channels": reader.getnchannels(),
        }
