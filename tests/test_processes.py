"""Seeds sharded over two processes joined by ``jax.distributed`` (one CPU device each) give
the numbers of one device, and only process 0 writes: every experiment's tiny config, two
driver processes under a timeout, against the session's one-device ``all --tiny`` run
(``tests/sharded.py``)."""

from __future__ import annotations

import socket

import pytest
from sharded import compared, start, wait


@pytest.mark.slow   # every experiment compiled in two processes: the full suite only
def test_every_experiment_on_two_processes_gives_the_numbers_of_one(tiny_all, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wait([start(tmp_path / f"p{i}", ["--coordinator", f"127.0.0.1:{port}",
                                     "--num-processes", "2", "--process-id", str(i)])
          for i in range(2)])
    compared(tmp_path / "p0", tiny_all[0])
    assert not list((tmp_path / "p1").rglob("*.csv"))
