"""Whisper transcripts (transformers WhisperForConditionalGeneration): WER and CIDEr on generated speech.

General-Bench's audio generation helpers transcribe with openai-whisper's ``turbo`` model
(``whisper.load_model("turbo").transcribe(path)``), i.e. large-v3-turbo; its transformers
conversion is ``openai/whisper-large-v3-turbo`` (the default here). Audio: 16 kHz float32 mono,
the repository's ``WhisperFeatureExtractor`` log-mel (128 bins for v3), greedy decoding
(``num_beams=1``, no sampling), the language detected unless ``language=`` is given, task
``transcribe``. Clips up to 30 s are decoded in batches; longer clips one at a time with
transformers' sequential long-form decoding (30 s windows, timestamps), as openai-whisper slides
its window. Not reproduced: openai-whisper's temperature fallback (it re-decodes a window with
sampling when the greedy text looks degenerate), so rare hard windows can differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from . import _hf
from . import _model_support as ms

NAME = "whisper"
DEFAULT_MODEL = "openai/whisper-large-v3-turbo"
RATE = 16_000
WINDOW = 30 * RATE


class WhisperTranscripts(_hf.TwoTower):
    """Mono 16 kHz float32 waveforms -> N transcripts (str)."""

    kind = "audio"
    family = "Whisper (transformers WhisperForConditionalGeneration)"
    preprocessing = "WhisperFeatureExtractor log-mel, greedy decoding, task transcribe"

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 8,
                 language: str | None = None, max_new_tokens: int = 440):
        self.language = language
        self.max_new_tokens = ms.positive_int(max_new_tokens, "max_new_tokens")
        super().__init__(model, device, batch_size, NAME)
        self.cache_key = f"{self.cache_key} language={language} max_new_tokens={max_new_tokens}"

    def load(self, folder: Path) -> tuple[Any, Any]:
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        return (_hf.load(WhisperForConditionalGeneration.from_pretrained, folder, self.name),
                _hf.load(WhisperProcessor.from_pretrained, folder, self.name))

    def _generate(self, waves: list[np.ndarray], long_form: bool) -> list[str]:
        kwargs: dict[str, Any] = {"sampling_rate": RATE, "return_tensors": "pt", "return_attention_mask": True}
        if long_form:
            kwargs.update(truncation=False, padding="longest")
        feats = self.processor.feature_extractor(waves, **kwargs)
        options: dict[str, Any] = {"task": "transcribe", "num_beams": 1, "do_sample": False,
                                   "max_new_tokens": self.max_new_tokens}
        if self.language:
            options["language"] = self.language
        if long_form:
            options["return_timestamps"] = True
        dtype = next(self.model.parameters()).dtype
        with torch.inference_mode():
            ids = self.model.generate(feats["input_features"].to(self.device, dtype),
                                      attention_mask=feats["attention_mask"].to(self.device), **options)
        if isinstance(ids, dict):  # some versions return a dict for long-form decoding
            ids = ids["sequences"]
        return [t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True)]

    def __call__(self, samples: Sequence[Any]) -> list[str]:
        waves = [ms.waveform(s, i, self.name, RATE) for i, s in enumerate(ms.samples_list(samples, self.name))]
        out: list[str | None] = [None] * len(waves)
        short = [i for i, w in enumerate(waves) if len(w) <= WINDOW]
        for part in ms.batches(len(short), self.batch_size):
            idx = short[part]
            for i, text in zip(idx, self._generate([waves[i] for i in idx], long_form=False)):
                out[i] = text
        for i, w in enumerate(waves):
            if out[i] is None:
                out[i] = self._generate([w], long_form=True)[0]
        return [t or "" for t in out]


def build(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 8, language: str | None = None,
          max_new_tokens: int = 440) -> WhisperTranscripts:
    return WhisperTranscripts(model, device, batch_size, language, max_new_tokens)


def fetch(model: str = DEFAULT_MODEL) -> str:
    return _hf.fetch(model)


def save_tiny(folder: str | Path, seed: int = 0, repo_id: str = DEFAULT_MODEL) -> dict[str, str]:
    """A 1-layer Whisper (80 mel bins, 16-d) with a byte-level tokenizer carrying Whisper's special
    tokens and a generation config (language and task tokens), in the hub layout."""
    import json
    import tempfile

    from transformers import (GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizer)

    from ._net_clip import _bytes_to_unicode

    torch.manual_seed(seed)
    snap = _hf.snapshot_dir(folder, repo_id)
    specials = ["<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>", "<|startoflm|>",
                "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
    with tempfile.TemporaryDirectory() as tmp:
        vocab = {c: i for i, c in enumerate(_bytes_to_unicode().values())}
        merges = ["Ġ t", "Ġt h", "Ġth e", "Ġ c", "Ġc a", "Ġca t", "Ġ d", "Ġd o", "Ġdo g"]
        for m in merges:
            vocab.setdefault(m.replace(" ", ""), len(vocab))
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
        end = "<|endoftext|>"
        tok = WhisperTokenizer(str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"), unk_token=end,
                               bos_token=end, eos_token=end, pad_token=end)
        tok.add_special_tokens({"additional_special_tokens": specials})
        ids = {t: tok.convert_tokens_to_ids(t) for t in [end] + specials}
        config = WhisperConfig(vocab_size=len(tok), num_mel_bins=80, encoder_layers=1, decoder_layers=1,
                               encoder_attention_heads=2, decoder_attention_heads=2, d_model=16, encoder_ffn_dim=32,
                               decoder_ffn_dim=32, max_source_positions=1500, max_target_positions=448,
                               decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=ids[end],
                               pad_token_id=ids[end], bos_token_id=ids[end], begin_suppress_tokens=None,
                               suppress_tokens=None)
        model = WhisperForConditionalGeneration(config)
        model.generation_config = GenerationConfig(
            decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=ids[end], pad_token_id=ids[end],
            lang_to_id={"<|en|>": ids["<|en|>"]},
            task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
            no_timestamps_token_id=ids["<|notimestamps|>"], is_multilingual=True, max_length=448)
        model.save_pretrained(snap)
        WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tok).save_pretrained(snap)
    return {"model": str(snap)}
