"""``python -m experiments NAME [options]`` | ``list`` | ``bench``; ``NAME --help`` for options."""

import sys

from experiments.runner import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
