"""Built-in transcriber: Whisper speech recognition (transformers; WER and CIDEr on generated speech).

Declaration only (no torch or transformers at import); the model is built in ``_net_whisper``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl


@hookimpl
def register_extractors(register):
    register(Extractor(
        "whisper", "audio", "generallevel_builtin._net_whisper:build", output="text", metrics=("WER", "CIDEr"),
        default_for=("WER", "CIDEr"), aliases=("whisper-turbo", "whisper-large-v3-turbo"),
        requires=("torch", "transformers"), version="1", sample_rate=16_000,
        samples="float32 mono 1-D waveform at 16 kHz, samples in [-1, 1]",
        preprocessing="WhisperFeatureExtractor log-mel; greedy decoding, task transcribe, language detected unless "
                      "language= is given; clips over 30 s by sequential long-form decoding",
        fetch="generallevel_builtin._net_whisper:fetch", locate="generallevel_builtin._locate:whisper",
        reference="openai-whisper 'turbo' (large-v3-turbo) transcribe(), as General-Bench's audio generation helpers",
        description="Whisper large-v3-turbo (openai/whisper-large-v3-turbo) from the Hugging Face hub cache, or "
                    "model=FOLDER; returns one transcript per clip"))
