"""``python -m experiments NAME [--seeds S] [--quick] [--out DIR] [--set section.field=value]``."""

import sys

from experiments import EXPERIMENTS
from experiments.runner import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], EXPERIMENTS))
