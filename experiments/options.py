"""The command line's options: the parser every command shares (:class:`_Parser`, one line
and exit status 2 for bad input, :class:`UsageError`), an experiment's flags (:func:`parser`),
integer flags that name their range (:func:`integer`), and the texts of ``--help`` and
``list``. :mod:`experiments.runner` runs what they parse."""

from __future__ import annotations

import argparse
import difflib

from sim.fields import field_rows

PROG = "python -m experiments"


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


def integer(flag: str, allowed: str):
    """An argparse type: the text as an int, else one line naming the flag, the value and
    ``allowed`` (its range)."""
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--{flag} = {text!r} is not an integer (allowed: {allowed})") from None
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        head, _, rest = message.partition(": ")
        if head.startswith("argument ") and rest.startswith("--"):   # integer()'s own line
            message = rest
        if message.startswith("unrecognized arguments: "):
            flags = [o for a in self._actions for o in a.option_strings]
            for word in message.split(": ", 1)[1].split():
                close = difflib.get_close_matches(word.split("=")[0], flags, n=1)
                if word.startswith("-") and close:
                    message += f" (did you mean {close[0]}?)"
                    break
        raise UsageError(message)


def parser(name: str) -> _Parser:
    p = _Parser(prog=f"{PROG} {name}", add_help=False)
    p.add_argument("--seeds", type=integer("seeds", "1 <= seeds <= 1000000"), default=None,
                   help="number of seeds")
    p.add_argument("--quick", action="store_true",
                   help="the small config (fewer responses, labels and seeds): about a minute")
    p.add_argument("--tiny", action="store_true",
                   help="the smallest config that runs every branch, 2 seeds (a smoke test; its "
                        "numbers mean nothing)")
    p.add_argument("--out", default="results",
                   help="results folder, made with its parents if missing (default: results)")
    p.add_argument("--base-seed", type=integer("base-seed", "0 <= base-seed < 2147483648"),
                   default=0, help="master PRNG seed (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="set a config field (repeatable)")
    p.add_argument("--sweep", action="append", default=[], metavar="SECTION.FIELD=A,B,C",
                   help="sweep a field over values (repeatable: a product of grids)")
    p.add_argument("--variant", default=None, metavar="A,B", help="run only these variants")
    p.add_argument("--no-figures", action="store_true",
                   help=f"write the numbers only; draw later with {PROG} plot OUT/NAME/latest")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                   help="several processes: process 0's address (jax.distributed)")
    p.add_argument("--num-processes", type=integer("num-processes", "1 <= num-processes <= 65536"),
                   default=None, metavar="P")
    p.add_argument("--process-id", type=integer("process-id", "0 <= process-id < num-processes"),
                   default=None, metavar="I")
    return p


def help_text(spec) -> str:
    config = spec.default()
    lines = [f"usage: {PROG} {spec.name} [--quick | --tiny] [--seeds S] [--out DIR] [--base-seed B] "
             "[--set F=V ...] [--sweep F=A,B ...] [--variant A,B] [--no-figures] [--debug]",
             "       [--coordinator HOST:PORT --num-processes P --process-id I]   (several hosts)",
             "",
             f"{spec.name} ({', '.join(spec.claims)}): {spec.title}", "",
             f"seeds: {spec.seeds} (quick: {spec.quick_seeds})",
             "scales: the default (the claims are read there), --quick (a small world and budget: "
             "about a minute), --tiny (every branch at the smallest sizes, 2 seeds: a smoke test)",
             "variants:"]
    lines += [f"  {v.name:<16} {v.doc}" for v in spec.variants]
    if spec.sweep:
        lines.append("default sweep: " + "; ".join(f"{p}={','.join(f'{x:g}' for x in xs)}"
                                                   for p, xs in spec.sweep))
    lines += ["", "config fields (section.field  default  allowed  doc):"]
    rows = field_rows(config)
    width = max(len(r[0]) for r in rows)
    lines += [f"  {r[0]:<{width}}  {r[1]:<12} {r[2]:<32} {r[3]}" for r in rows]
    return "\n".join(lines)


def list_text(registry) -> str:
    width = max(len(n) for n in registry)
    return "\n".join(f"{n:<{width}}  {', '.join(s.claims):<4} {s.title}" for n, s in registry.items())
