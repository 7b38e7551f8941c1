"""``python -m experiments NAME [options]`` | ``list`` | ``bench`` | ...; ``--help`` lists them."""

import sys

from experiments import interrupt

interrupt.install()   # before JAX is imported: Ctrl-C at any moment is exit 130, nothing written
interrupt.end_with_parent()   # a child of all --jobs ends with its parent

from experiments.runner import main  # noqa: E402

if __name__ == "__main__":
    status = main(sys.argv[1:])
    interrupt.finished()   # a Ctrl-C during the interpreter's teardown changes nothing now
    sys.exit(status)
