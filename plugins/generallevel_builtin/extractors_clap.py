"""Built-in extractors: LAION-CLAP audio and text embeddings (transformers ClapModel; FAD, CLAP, Style-CLAP).

Declaration only (no torch or transformers at import); the models are built in ``_net_clap``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl

_NET = "generallevel_builtin._net_clap:"
_WEIGHTS = ("laion/clap-htsat-unfused (the transformers conversion of LAION-CLAP 630k-audioset-best.pt, "
            "non-fusion) from the Hugging Face hub cache, or model=FOLDER")


@hookimpl
def register_extractors(register):
    register(Extractor(
        "clap-audio", "audio", _NET + "build_audio", identity=_NET + "identity_audio",
        metrics=("FAD", "CLAP", "Style-CLAP"),
        default_for=("FAD", "CLAP", "Style-CLAP"), aliases=("laion-clap-audio",), requires=("torch", "transformers"),
        version="1", sample_rate=48_000,
        samples="float32 mono 1-D waveform at 48 kHz, samples in [-1, 1]",
        preprocessing="int16 round trip, first 10 s, repeat-padded to 10 s, ClapFeatureExtractor log-mel (64 bins, "
                      "hop 480, 50-14000 Hz), get_audio_features; float32",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:clap",
        reference="laion_clap CLAP_Module(enable_fusion=False) default checkpoint (General-Bench FAD and CLAP score)",
        description="LAION-CLAP HTSAT audio embedding, 512-d; " + _WEIGHTS))
    register(Extractor(
        "clap-text", "text", _NET + "build_text", identity=_NET + "identity_text",
        metrics=("CLAP",), reference_for=("CLAP",),
        aliases=("laion-clap-text",), requires=("torch", "transformers"), version="1", samples="str",
        preprocessing="RoBERTa tokenizer, padded to 77 tokens with truncation (as laion_clap); get_text_features",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:clap",
        reference="laion_clap CLAP_Module.get_text_embedding",
        description="LAION-CLAP RoBERTa text embedding of the same model as clap-audio; " + _WEIGHTS))
