"""Models are causal; training checkpoints and resumes exactly; configs name bad keys."""

import numpy as np
import pytest
import torch

from icl_emergence.models import ModelConfig, build_model, with_bos
from icl_emergence.train import SourceConfig, TrainConfig, train
from repro_core.config import ConfigError, from_dict
from tests.helpers import paper_section

torch.set_num_threads(1)


# the earlier plain transformer: heads of d/n_heads, one qkv matrix, GELU MLP with biases, untied
# head, PyTorch init (config/icl_emergence.yaml runs the authors' model)
PLAIN = {"head_dim": 0, "n_kv_heads": 0, "mlp": "gelu", "tie_embeddings": False, "init": "torch"}


def _model_dict(arch: str, **transformer) -> dict:
    """models.<arch> of config/icl_emergence.yaml at smoke (d = 16, 2 layers; the transformer is
    the authors'), its transformer settings overridden by ``transformer``."""
    d = paper_section("icl_emergence", f"models.{arch}")
    d.pop("steps", None)                      # a training setting, not the model's
    if transformer:
        d["transformer"] = {**d["transformer"], **transformer}
    return d


def _model(arch: str, **transformer) -> ModelConfig:
    return ModelConfig(vocab=5, **_model_dict(arch, **transformer))


@pytest.mark.parametrize("arch,extra", [("transformer", PLAIN), ("transformer", {}), ("gru", {})],
                         ids=["transformer", "transformer_authors", "gru"])
def test_models_are_causal(arch, extra):
    torch.manual_seed(0)
    model = build_model(_model(arch, **extra)).eval()
    x = torch.randint(0, 5, (3, 30))
    y = x.clone()
    y[:, 17] = (y[:, 17] + 1) % 5
    with torch.no_grad():
        a, b = model(with_bos(x, 5)), model(with_bos(y, 5))
    # input position t holds x_{t-1}: outputs up to position 17 (predicting x_0..x_17) unchanged
    assert torch.allclose(a[:, :18], b[:, :18], atol=1e-6)
    assert not torch.allclose(a[:, 18:], b[:, 18:])


def test_authors_transformer_shapes_and_tied_logits():
    """4 query heads of size 16 over 2 shared key/value heads; the logit layer is the embedding."""
    torch.manual_seed(0)
    m = build_model(_model("transformer"))
    blk = m.blocks[0]
    assert blk.qkv.weight.shape == ((4 + 2 * 2) * 16, 16) and blk.proj.weight.shape == (16, 64)
    assert m.head is None
    x = torch.randint(0, 6, (2, 7))
    with torch.no_grad():
        h = m.norm(_residual(m, x))
        assert torch.allclose(m(x), h @ m.embed.weight[:5].T, atol=1e-6)
    # penzai's initialisation: embeddings N(0, 1/d), Xavier-uniform linear layers
    assert abs(float(m.embed.weight.std()) - 0.25) < 0.05
    bound = (6 / (16 + 16)) ** 0.5
    assert float(blk.mlp.out.weight.abs().max()) <= bound
    # the plain transformer is unchanged: one qkv matrix d -> 3d, untied head
    d = build_model(_model("transformer", **PLAIN))
    assert d.blocks[0].qkv.weight.shape == (48, 16) and d.head is not None
    with pytest.raises(ValueError, match="n_kv_heads"):
        build_model(_model("transformer", n_kv_heads=3))


def test_transformer_settings_belong_to_the_transformer_only():
    gru, tf = _model_dict("gru"), _model_dict("transformer")
    with pytest.raises(ConfigError, match="model.transformer is required"):
        ModelConfig(vocab=5, **{k: v for k, v in tf.items() if k != "transformer"})
    with pytest.raises(ConfigError, match="model.transformer is for arch transformer only"):
        ModelConfig(vocab=5, **gru, transformer=tf["transformer"])
    with pytest.raises(ConfigError, match="model.transformer.heads"):
        ModelConfig(vocab=5, **{**tf, "transformer": {**tf["transformer"], "heads": 4}})


def test_a_source_has_exactly_its_kind_s_section():
    mr = paper_section("icl_emergence", "mr_name")
    assert SourceConfig(kind="mr_name", mr_name=mr).mr_name.q == mr["q"]
    assert SourceConfig(kind="coins", coins={"n_coins": 10}).coins.n_coins == 10
    with pytest.raises(ConfigError, match="source.mr_name is required"):
        SourceConfig(kind="mr_name")
    with pytest.raises(ConfigError, match="source.coins is not allowed"):
        SourceConfig(kind="mr_name", mr_name=mr, coins={"n_coins": 2})
    with pytest.raises(ConfigError, match="source.kind='dice'"):
        SourceConfig(kind="dice")


def _residual(m, x):
    h = m.embed(x) * m.cfg.d_model ** 0.5
    for blk in m.blocks:
        h = blk(h, m.cos[:x.shape[1]], m.sin[:x.shape[1]])
    return h


def _train_dict(**kw) -> dict:
    """A short Mr. Name run: train.mr_name of config/icl_emergence.yaml at smoke with the Mr. Name
    source and the YAML's transformer, shortened to a few steps of a few short sequences."""
    base = {**paper_section("icl_emergence", "train.mr_name"),
            "source": {"kind": "mr_name", "mr_name": paper_section("icl_emergence", "mr_name")},
            "model": _model_dict("transformer"), "device": "cpu", "seq_len": 20,
            "batch": 4, "steps": 6, "eval_every": 2, "dense_every": 1, "dense_until": 2,
            "n_val": 16, "ckpt_every": 2, "seed": 3}
    return {**base, **kw}


def _cfg(**kw):
    return from_dict(TrainConfig, _train_dict(**kw))


def test_training_resumes_exactly(tmp_path):
    straight = (tmp_path / "a.pt", tmp_path / "a.npz")
    train(_cfg(), *straight)
    resumed = (tmp_path / "b.pt", tmp_path / "b.npz")
    train(_cfg(stop_after=3), *resumed)                  # "preempted" after 3 steps
    assert not resumed[0].exists() and (tmp_path / "b.pt.ckpt").exists()
    train(_cfg(), *resumed)                              # resumes from the checkpoint
    assert not (tmp_path / "b.pt.ckpt").exists()
    ha, hb = np.load(straight[1]), np.load(resumed[1])
    assert ha["step"].tolist() == [0, 1, 2, 4, 6]
    for k in ("step", "ce", "kl", "train_loss", "name1", "name2"):
        assert np.array_equal(ha[k], hb[k], equal_nan=True), k
    sa = torch.load(straight[0], weights_only=False)["state_dict"]
    sb = torch.load(resumed[0], weights_only=False)["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert np.all(ha["kl"] >= -1e-9)                     # KL(Bayes || model) >= 0
    # val loss = Bayes loss + KL on the same sequences, up to sampling of the token
    assert ha["ce"][-1].mean() == pytest.approx(ha["bayes_ce"].mean() + ha["kl"][-1].mean(), abs=0.5)


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="train.batchsize"):
        from_dict(TrainConfig, {"batchsize": 3}, where="train")
    with pytest.raises(ConfigError, match="train.model.width"):
        from_dict(TrainConfig, _train_dict(model={**_model_dict("gru"), "width": 3}), where="train")
    with pytest.raises(ConfigError, match="train.lr is required"):
        from_dict(TrainConfig, {k: v for k, v in _train_dict().items() if k != "lr"}, where="train")
