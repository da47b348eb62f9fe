"""repro_core.lm's model spec: the source is required, the tiny section exists only for source tiny
and has no default values (issue 31: the paper's YAML is the one place they are set)."""

import dataclasses

import pytest

from repro_core.config import ConfigError, from_dict
from repro_core.lm import ModelSpec, TinySpec, materialise

TINY = {"hidden": 8, "layers": 1, "heads": 2, "init_std": 0.5}


def test_tiny_section_from_a_mapping_becomes_a_tinyspec():
    via_config = from_dict(ModelSpec, {"name": "t", "source": "tiny", "tiny": dict(TINY, init_std=1)})
    assert via_config.tiny == TinySpec(hidden=8, layers=1, heads=2, init_std=1.0)
    assert isinstance(via_config.tiny.init_std, float)
    direct = ModelSpec(name="t", source="tiny", tiny=dict(TINY))     # as a script builds it from YAML
    assert direct.tiny == TinySpec(**TINY)


def test_other_sources_have_no_tiny_section():
    spec = from_dict(ModelSpec, {"name": "m", "source": "wheel", "path": "pkg", "gguf_file": "m.gguf"})
    assert spec.tiny is None


def test_source_and_every_tiny_size_are_required():
    with pytest.raises(ConfigError, match="config key source is required"):
        from_dict(ModelSpec, {"name": "m", "path": "x"})
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(TinySpec))
    for key in TINY:
        partial = {k: v for k, v in TINY.items() if k != key}
        with pytest.raises(ConfigError, match=rf"model 'small': config key tiny\.{key} is required"):
            from_dict(ModelSpec, {"name": "small", "source": "tiny", "tiny": partial})


def test_source_tiny_without_its_section_names_the_model_and_the_key():
    with pytest.raises(ConfigError, match="model 'small' has source tiny but no key tiny"):
        from_dict(ModelSpec, {"name": "small", "source": "tiny"})
    with pytest.raises(ConfigError, match="model 'small' has source tiny but no key tiny"):
        ModelSpec(name="small", source="tiny")
    spec = ModelSpec(name="later", source="tiny", tiny=TinySpec(**TINY))
    spec.tiny = None                                  # emptied after construction: refused on use
    with pytest.raises(ConfigError, match="model 'later' has source tiny but no key tiny"):
        with materialise(spec, ["a"], 0):
            pass


def test_wrong_tiny_keys_are_named():
    with pytest.raises(ConfigError, match=r"model 'm': unknown config key\(s\) tiny\.width"):
        from_dict(ModelSpec, {"name": "m", "source": "tiny", "tiny": dict(TINY, width=3)})
    with pytest.raises(ConfigError, match=r"model 'm': config key tiny\.hidden='8' has the wrong type"):
        from_dict(ModelSpec, {"name": "m", "source": "tiny", "tiny": dict(TINY, hidden="8")})
