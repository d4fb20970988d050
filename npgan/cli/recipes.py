"""``npgan recipes``: every recipe's resolved settings per dataset, and the extra training terms."""

from __future__ import annotations

from npgan.recipes import DATASETS, RECIPES


def _show(v) -> str:
    if isinstance(v, tuple):
        return ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def cmd_recipes(args) -> int:
    from npgan.recipes import resolve
    from npgan.train import TrainingConfig
    from npgan.train.terms import STARTS_STATISTIC, TERMS
    defaults = TrainingConfig().settings()
    columns = [(r, d) for r in RECIPES for d in DATASETS if args.dataset in (None, d)]
    table = {col: resolve(*col).settings() for col in columns}
    for name, r in RECIPES.items():
        print(f"{name:>6}: {r.summary}")
    print("\nsettings (npgan train --recipe NAME --set KEY=VALUE); the 'default' column holds npgan's built-in "
          "settings (TrainingConfig()), which each recipe changes; * marks a value that differs from them:")
    width = max(len(k) for k in defaults)
    print(f"  {'':{width}}{'default':>18}" + "".join(f"{r + '/' + d:>18}" for r, d in columns))
    for key, default in defaults.items():
        cells = "".join(f"{_show(table[c][key]) + ('*' if table[c][key] != default else ' '):>18}" for c in columns)
        print(f"  {key:{width}}{_show(default) + ' ':>18}{cells}")
    print("\nextra training terms (KEY.weight / .start / .early_weight / .early_updates):")
    for name, cls in TERMS.items():
        print(f"  {name}: {cls.step} step, trains {cls.trains}; logs {cls.logs}")
    print("\nstarts.count / .updates / .window: train COUNT starts for UPDATES updates each and continue the one "
          f"whose mean {STARTS_STATISTIC} statistic (logged as above) over its last WINDOW updates is highest")
    return 0


def add_parser(sub) -> None:
    r = sub.add_parser("recipes", help="every recipe's settings, and the extra training terms",
                       description="List every recipe (npgan train --recipe NAME) with its settings on each dataset "
                                   "beside the defaults they change (a * marks a value that differs from the "
                                   "'default' column, npgan's built-in settings), then the extra training terms "
                                   "and the starts. Every KEY can be set with npgan train --set KEY=VALUE.")
    r.add_argument("--dataset", choices=DATASETS, default=None, help="one dataset only (default: both)")
    r.set_defaults(func=cmd_recipes)
