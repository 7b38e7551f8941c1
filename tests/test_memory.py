"""The memory guard (issue 12): refuse in one line what cannot fit, shrink the seed chunk
for what fits in smaller pieces, and never change a number by doing so."""

import csv
import json

import pytest

from experiments import memory
from experiments.runner import main
from sim.config import split
from sim.spec import registry

TINY = ["convergence", "--tiny", "--seeds", "6", "--variant", "rule"]


def _results(folder):
    (run,) = [p for p in (folder / "convergence").iterdir() if p.name != "latest"]
    with open(run / "results.csv") as fh:
        return list(csv.reader(fh))


def test_a_run_too_large_for_memory_is_refused_in_one_line_naming_the_fields(tmp_path, capsys):
    """The issue's 263 GB config: refused before allocating, exit 2, the fields to reduce named."""
    rc = main(["convergence", "--quick", "--seeds", "2", "--variant", "rule", "--out", str(tmp_path),
               "--set", "world.responses=1000000", "--set", "world.prohibitions=16384"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "GiB" in err[0] and "world.prohibitions" in err[0] and "world.responses" in err[0]
    assert not (tmp_path / "convergence").exists()


@pytest.mark.slow
def test_a_smaller_seed_chunk_gives_bitwise_the_same_numbers(tmp_path, monkeypatch, capsys):
    """Chunking is a memory decision only: the keys do not depend on it."""
    assert main([*TINY, "--out", str(tmp_path / "a")]) == 0
    (run,) = [p for p in (tmp_path / "a" / "convergence").iterdir() if p.name != "latest"]
    (program,) = json.loads((run / "meta.json").read_text())["programs"]
    assert program["seeds_per_call"] == 6
    half = program["bytes_per_call"] / 2 / memory.HEADROOM / 2**30
    monkeypatch.setenv("VNSIM_MEMORY_GB", repr(half))
    assert main([*TINY, "--out", str(tmp_path / "b")]) == 0
    assert "per call" in capsys.readouterr().err
    assert _results(tmp_path / "a") == _results(tmp_path / "b")


def test_grown_sizes_names_the_sizes_above_their_defaults_largest_ratio_first():
    spec = registry()["convergence"]
    default = split(spec.default())[0]
    big = spec.default()
    import dataclasses
    big = dataclasses.replace(big, labels=4000, world=dataclasses.replace(big.world, responses=8 * 2048))
    grown = memory.grown_sizes(split(big)[0], default)
    assert [g[0] for g in grown] == ["world.responses", "experiment.labels"]
    assert memory.chunk_that_fits(100, 16, 50) == 6 and memory.chunk_that_fits(10, 16, 50) == 16
    assert memory.chunk_that_fits(100, 16, None) == 16
