"""LAION-CLAP audio and text embeddings with transformers' ClapModel (``laion/clap-htsat-unfused``).

``laion/clap-htsat-unfused`` is the transformers conversion of LAION-CLAP's ``630k-audioset-best.pt``
(HTSAT-tiny + RoBERTa, non-fusion), the checkpoint ``laion_clap.CLAP_Module(enable_fusion=False)``
loads by default and the one General-Bench's FAD and CLAP score use (the LAION-CLAP authors confirm
the correspondence in LAION-AI/CLAP issue #123). Audio: 48 kHz float32 mono, quantised to 16 bits
and back (LAION-CLAP's usage), the first 10 s (LAION-CLAP crops longer clips at random; we keep
the start, for repeatability), repeat-padded to 10 s, log-mel by transformers' ``ClapFeatureExtractor``
with LAION-CLAP's HTSAT settings pinned (numpy; LAION-CLAP computes the same log-mel with
torchlibrosa inside the model: equal to 2e-4 dB, tests/test_extractors_models.py), then
``get_audio_features``. Texts: the RoBERTa tokenizer padded to 77 tokens with truncation (as
laion_clap), ``get_text_features``. Float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from . import _hf
from . import _model_support as ms

DEFAULT_MODEL = "laion/clap-htsat-unfused"
RATE = 48_000
MAX_SAMPLES = 10 * RATE
VERSION = "1"
# LAION-CLAP's HTSAT front end (model_configs/HTSAT-tiny.json: 1024-point STFT, hop 480, 64 mel bins,
# 50-14000 Hz): pinned here whatever the repository's preprocessor_config says
MEL = {"frequency_min": 50, "frequency_max": 14000, "fft_window_size": 1024, "hop_length": 480, "feature_size": 64,
       "truncation": "rand_trunc", "padding": "repeatpad"}
AUDIO_PREPROCESSING = ("48 kHz mono float32, int16 round trip, first 10 s, repeat-padded to 10 s, ClapFeatureExtractor "
                       "log-mel (rand_trunc mode, no crop needed), get_audio_features")
TEXT_PREPROCESSING = "RoBERTa tokenizer, padding='max_length', max_length=77, truncation; get_text_features"


def quantize(wave: np.ndarray) -> np.ndarray:
    """LAION-CLAP's int16_to_float32(float32_to_int16(x)): clip to [-1, 1], 16-bit round trip."""
    return (np.clip(wave, -1.0, 1.0) * 32767.0).astype(np.int16).astype(np.float32) / 32767.0


class _Base(_hf.TwoTower):
    family = "LAION-CLAP 630k-audioset (transformers ClapModel)"

    def load(self, folder: Path) -> tuple[Any, Any]:
        from transformers import ClapFeatureExtractor, ClapModel, ClapProcessor

        proc = _hf.load(ClapProcessor.from_pretrained, folder, self.name)
        proc.feature_extractor = _hf.load(ClapFeatureExtractor.from_pretrained, folder, self.name, **MEL)
        return _hf.load(ClapModel.from_pretrained, folder, self.name), proc


class CLAPAudio(_Base):
    """Mono 48 kHz float32 waveforms -> N x 512 CLAP audio embeddings."""

    kind = "audio"
    preprocessing = AUDIO_PREPROCESSING

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        waves = [quantize(ms.waveform(s, i, self.name, RATE)[:MAX_SAMPLES])
                 for i, s in enumerate(ms.samples_list(samples, self.name))]
        rows = []
        with torch.inference_mode():
            for part in ms.batches(len(waves), self.batch_size):
                feats = self.processor.feature_extractor(waves[part], sampling_rate=RATE, return_tensors="pt",
                                                         truncation="rand_trunc", padding="repeatpad")
                inputs = {k: v.to(self.device) for k, v in feats.items() if k in ("input_features", "is_longer")}
                rows.append(_hf.features(self.model.get_audio_features(**inputs)).float().cpu().numpy())
        return np.concatenate(rows)


class CLAPText(_Base):
    """Texts -> N x 512 CLAP text embeddings."""

    kind = "text"
    preprocessing = TEXT_PREPROCESSING

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        texts = [ms.text(s, i, self.name) for i, s in enumerate(ms.samples_list(samples, self.name))]
        rows = []
        with torch.inference_mode():
            for part in ms.batches(len(texts), self.batch_size):
                tok = self.processor.tokenizer(texts[part], padding="max_length", max_length=77, truncation=True,
                                               return_tensors="pt")
                out = self.model.get_text_features(input_ids=tok["input_ids"].to(self.device),
                                                   attention_mask=tok["attention_mask"].to(self.device))
                rows.append(_hf.features(out).float().cpu().numpy())
        return np.concatenate(rows)


def build_audio(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 16) -> CLAPAudio:
    return CLAPAudio(model, device, batch_size, "clap-audio")


def build_text(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 64) -> CLAPText:
    return CLAPText(model, device, batch_size, "clap-text")


def identity_audio(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 16) -> str:
    return CLAPAudio.identity(model, "clap-audio")


def identity_text(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 64) -> str:
    return CLAPText.identity(model, "clap-text")


def fetch(model: str = DEFAULT_MODEL) -> str:
    return _hf.fetch(model)


def save_tiny(folder: str | Path, seed: int = 0, repo_id: str = DEFAULT_MODEL) -> dict[str, str]:
    """A tiny ClapModel (1-layer RoBERTa, 2-stage HTSAT at the real 64-mel / 1024-frame input) with the
    repository's ClapFeatureExtractor settings and a byte-level RoBERTa tokenizer, in the hub layout."""
    import tempfile

    from transformers import (ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor,
                              ClapTextConfig, RobertaTokenizer)

    from ._net_clip import _bytes_to_unicode

    torch.manual_seed(seed)
    snap = _hf.snapshot_dir(folder, repo_id)
    with tempfile.TemporaryDirectory() as tmp:
        import json

        vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>"] + list(_bytes_to_unicode().values())
                                            + ["<mask>"])}
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
        tok = RobertaTokenizer(str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"))
        text = ClapTextConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=32, max_position_embeddings=80, projection_dim=16)
        audio = ClapAudioConfig(spec_size=256, num_mel_bins=64, patch_size=4, patch_stride=[4, 4], window_size=8,
                                depths=[1, 1], num_attention_heads=[1, 2], patch_embeds_hidden_size=8, hidden_size=16,
                                projection_dim=16, enable_fusion=False)
        model = ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16))
        model.save_pretrained(snap)
        extractor = ClapFeatureExtractor(frequency_min=50, frequency_max=14000, truncation="rand_trunc")
        ClapProcessor(feature_extractor=extractor, tokenizer=tok).save_pretrained(snap)
    return {"model": str(snap)}
