"""``summary.png``: accuracy per seed per arm, and the L_I curves of every run, coloured by arm."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from npgan.figures import _smooth, pyplot, save_figure


def plot_sweep(rows: list[dict], metrics: dict[str, list[dict]], path, h_c: float | None = None,
               window: int = 20) -> Path:
    """Draw the sweep summary.

    Parameters
    ----------
    rows : list of dict
        Summary rows (``run``, ``arm``, ``seed``, ``status``, ``accuracy``).
    metrics : dict
        Run name -> its metrics lines (``update``, ``li_cat``).
    path : str or Path
    h_c : float, optional
        H(c) of the categorical codes in nats, drawn as a line.
    window : int
        Moving-average window of the curves (updates).
    """
    plt = pyplot()
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    colours = {a: plt.get_cmap("tab10")(i % 10) for i, a in enumerate(arms)}
    fig, (ax_acc, ax_li) = plt.subplots(1, 2, figsize=(11, 4), dpi=110,
                                        gridspec_kw={"width_ratios": [max(2, len(arms)), 5]})
    for i, arm in enumerate(arms):
        done = [r for r in rows if r["arm"] == arm and r["status"] == "done" and r.get("accuracy") is not None]
        if not done:
            continue
        acc = np.array([r["accuracy"] for r in done], dtype=np.float64)
        x = i + np.linspace(-0.15, 0.15, acc.size) if acc.size > 1 else np.array([float(i)])
        ax_acc.scatter(x, acc, color=colours[arm], zorder=3)
        for xi, a, r in zip(x, acc, done):
            ax_acc.annotate(str(r["seed"]), (xi, a), textcoords="offset points", xytext=(4, 2), fontsize=7)
        ax_acc.hlines(np.median(acc), i - 0.3, i + 0.3, color=colours[arm], lw=2)
    ax_acc.set_xticks(range(len(arms)))
    ax_acc.set_xticklabels(arms, rotation=20, ha="right", fontsize=8)
    ax_acc.set_xlim(-0.6, len(arms) - 0.4)
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_ylabel("categorical accuracy")
    ax_acc.set_title("accuracy per seed (bar: median)", fontsize=9)
    ax_acc.grid(alpha=0.3, axis="y")
    for r in rows:
        recs = metrics.get(r["run"]) or []
        if recs:
            u = np.array([m["update"] for m in recs])
            li = _smooth(np.array([m["li_cat"] for m in recs], dtype=np.float64), window)
            ax_li.plot(u, li, color=colours[r["arm"]], lw=1, alpha=0.8)
    for arm in arms:
        ax_li.plot([], [], color=colours[arm], label=arm)
    if h_c is not None:
        ax_li.axhline(h_c, color="k", ls="--", lw=1, label=f"H(c) = {h_c:.3f} nats")
    ax_li.set_xlabel("updates")
    ax_li.set_ylabel("L_I (nats)")
    ax_li.set_title("L_I of every run", fontsize=9)
    ax_li.legend(loc="lower right", fontsize=7)
    ax_li.grid(alpha=0.3)
    return save_figure(fig, path)
