"""Every config error path: one line naming the field, the value and the allowed range."""

import dataclasses

import pytest

from sim import AnnotatorConfig, ConfigError, LearnerConfig, PolicyConfig, WorldConfig, split
from sim.config import params_type
from sim.fields import field_rows, replace_path
from sim.spec import registry
from sim.specs.e01_convergence import ConvergenceConfig
from sim.training import TrainConfig

CONFIGS = [WorldConfig, AnnotatorConfig, LearnerConfig, PolicyConfig, TrainConfig] + [
    s.config_type for s in registry().values()]


def _bad_values(f):
    """Values just outside a field's range, of its type."""
    m, kind = f.metadata, f.metadata["kind"]
    out = []
    if m["lo"] is not None:
        out.append(m["lo"] if m["lo_open"] else (m["lo"] - 1 if kind is int else m["lo"] - 1e-3))
    if m["hi"] is not None:
        out.append(m["hi"] if m["hi_open"] else (m["hi"] + 1 if kind is int else m["hi"] + 1e-3))
    if kind is float:
        out.append(float("nan"))
    if kind is tuple:
        return [(v,) for v in out]
    return [kind(v) for v in out]


CASES = [(cls, f, v) for cls in CONFIGS for f in dataclasses.fields(cls)
         if f.metadata.get("kind") in (int, float, tuple) for v in _bad_values(f)]


@pytest.mark.parametrize("cls,field,bad", CASES, ids=[f"{c.__name__}.{f.name}={v}" for c, f, v in CASES])
def test_out_of_range_value_is_refused_with_field_value_and_range(cls, field, bad):
    with pytest.raises(ConfigError) as err:
        cls(**{field.name: bad})
    msg = str(err.value)
    assert "\n" not in msg
    shown = bad[0] if isinstance(bad, tuple) else bad
    assert f"{cls.section}.{field.name}" in msg and "allowed" in msg and repr(shown) in msg


@pytest.mark.parametrize("cls", CONFIGS)
def test_defaults_are_valid_and_every_field_is_documented(cls):
    for path, _default, allowed, doc in field_rows(cls()):
        assert doc.strip() and allowed, f"{path} has no doc or range"


def test_params_are_typed_and_the_static_half_holds_no_swept_value():
    static, params = split(ConvergenceConfig(world=WorldConfig(coupling=0.3)))
    assert isinstance(params, params_type(ConvergenceConfig))
    assert float(params.world.coupling) == pytest.approx(0.3)
    assert static.world.responses == 2048 and static.labels == 2000
    with pytest.raises(AttributeError, match="world.coupling is a swept number"):
        static.world.coupling  # noqa: B018
    with pytest.raises(TypeError):
        params_type(WorldConfig)(coupling=0.5)  # a missing field fails at construction


@pytest.mark.parametrize("cls,field,bad", [
    (WorldConfig, "responses", 2.5), (WorldConfig, "responses", True), (WorldConfig, "coupling", "x"),
    (LearnerConfig, "family", "cubic"), (AnnotatorConfig, "reveal", "some"),
    (AnnotatorConfig, "mistake", 1), (LearnerConfig, "fit", "both"),
])
def test_wrong_type_or_choice_is_refused(cls, field, bad):
    with pytest.raises(ConfigError, match=f"{cls.section}.{field}"):
        cls(**{field: bad})


def test_cross_field_conditions():
    with pytest.raises(ConfigError, match="prohibition_mass_spread"):
        WorldConfig(prohibition_mass=0.1, prohibition_mass_spread=0.2)
    with pytest.raises(ConfigError, match="sycophancy \\+ length_bias"):
        AnnotatorConfig(sycophancy=0.7, length_bias=0.5)
    with pytest.raises(ConfigError, match="eval_responses"):
        ConvergenceConfig(world=WorldConfig(responses=50), eval_responses=64)


def test_swept_values_do_not_change_the_static_part():
    a, pa = split(ConvergenceConfig(world=WorldConfig(coupling=0.1)))
    b, pb = split(ConvergenceConfig(world=WorldConfig(coupling=0.9)))
    assert a == b and hash(a) == hash(b)
    assert float(pa.world.coupling) == pytest.approx(0.1)
    assert float(pb.world.coupling) == pytest.approx(0.9)
    c, _ = split(ConvergenceConfig(world=WorldConfig(responses=200)))
    assert c != a  # a shape is static


def test_replace_path_sets_nested_fields_from_strings():
    cfg = replace_path(ConvergenceConfig(), "world.coupling", "0.9")
    cfg = replace_path(cfg, "annotator.mistake", "true")
    cfg = replace_path(cfg, "experiment.labels", "300")
    cfg = replace_path(cfg, "labels", "301")
    assert cfg.world.coupling == 0.9 and cfg.annotator.mistake and cfg.labels == 301
    assert cfg != ConvergenceConfig() and replace_path(cfg, "labels", "2000") != cfg


@pytest.mark.parametrize("path,text,match", [
    ("wrld.coupling", "0.9", "unknown section 'wrld'"),
    ("world.colpling", "0.9", "unknown field 'colpling'"),
    ("world.coupling", "high", "not a number"),
    ("world.responses", "1e3", "not an integer"),
    ("world.coupling", "1.0", "out of range"),
    ("annotator.skip", "maybe", "not a boolean"),
    ("a.b.c", "1", "expected section.field"),
])
def test_replace_path_errors_are_one_line(path, text, match):
    with pytest.raises(ConfigError, match=match) as err:
        replace_path(ConvergenceConfig(), path, text)
    assert "\n" not in str(err.value)
