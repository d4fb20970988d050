"""What every extra training term is: a name, a weight schedule, the step it joins, what it trains,
and the statistic it logs.

InfoGAN's own objective (the GAN loss and L_I) is in :mod:`npgan.train.step`. The terms here are
npgan's additions to it, each optional and off in the paper's and the original code's recipes.
A term is a class with a few declarative attributes and one method::

    class MyTerm(Term):
        name = "my_term"         # settings key (``my_term.weight``) and metrics column
        step = "D"               # joins the D step ("D") or the G step ("G")
        trains = "D trunk, Q head"
        logs = "what the logged number is, with its unit"

        def apply(self, ctx):
            ...                  # forward, loss, and its *unweighted* gradient handed to a ctx sink
            return statistic     # the unweighted value, logged as ``my_term``

A term owns its statistic and its unweighted gradient; the step owns the weight. ``apply`` hands
its gradient to one of the context's sinks, which multiplies it by the weight, once:
``ctx.backward_d_pass`` finishes a trunk/Q pass of the term's own on images, ``ctx.backward_g``
a G pass of its own, and ``ctx.add_q_real_grad`` (a D-step term with ``rides_on_real = True``)
hands a gradient on Q's reading of the real batch to the step, which folds it into that batch's
one trunk backward: no pass of its own. Every layer keeps only its latest forward for backward, so
a pass is always finished before the next one starts. ``maximise`` says whether the statistic is
an objective (subtracted from the step's loss when it is reported) or a penalty (added);
``reads_fakes`` whether it reads G's images (its statistic stops being finite when they do).

One NaN policy for every term: a term that meets values that are not finite (``ctx.finite``)
still finishes every pass it started, with a zero gradient, and returns NaN; a sink that is handed
a gradient that is not finite passes zeros on instead and the step reports the statistic as NaN
(:meth:`Term.run`). The training loop then stops cleanly on the NaN in the step's statistics.

The step calls a term only when its weight is positive, never in the GAN baseline, and only when
the latent layout has what the term needs (:meth:`Term.applies_to`); a term that is off draws
nothing from the trainer's generator, so switching it on late leaves the run unchanged up to then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from npgan._checks import check_int, check_real
from npgan.data.augment import Distortion
from npgan.models.infogan import InfoGANNets
from npgan.models.latent import LatentSpec


@dataclass(frozen=True)
class Schedule:
    """How strongly a term acts in each update.

    Parameters
    ----------
    weight : float
        The term's weight (0: off).
    start : int
        The term acts in the updates after number ``start`` (updates count from 1; 0: from the first).
    early_weight : float
        The weight over updates ``1 .. early_updates`` instead of ``weight`` (a stronger or weaker
        beginning); unused when ``early_updates`` is 0.
    early_updates : int
        Length of the early phase (0: none).
    """

    weight: float = 0.0
    start: int = 0
    early_weight: float = 0.0
    early_updates: int = 0

    def __post_init__(self):
        object.__setattr__(self, "weight", check_real(self.weight, "weight", minimum=0.0))
        object.__setattr__(self, "start", check_int(self.start, "start", minimum=0))
        object.__setattr__(self, "early_weight", check_real(self.early_weight, "early_weight", minimum=0.0))
        object.__setattr__(self, "early_updates", check_int(self.early_updates, "early_updates", minimum=0))

    def at(self, update: int) -> float:
        """The weight in update number ``update`` (counted from 1)."""
        if update <= self.start:
            return 0.0
        return self.early_weight if update <= self.early_updates else self.weight

    @property
    def ever_on(self) -> bool:
        """Whether the term acts in any update."""
        return self.weight > 0 or (self.early_weight > 0 and self.early_updates > self.start)


@dataclass
class TermContext:
    """What a step hands to its terms.

    ``rng`` is the trainer's generator (its draws are part of the run's exact stream), ``distort``
    and ``distort_grouped`` the trainer's random distortions (:class:`npgan.data.augment.Distortion`,
    each drawing from ``rng``). In the D step ``x_real`` is the real batch (n, 1, 28, 28) and
    ``q_real`` Q's output on it (n, q_output_dim), from the real batch's training-mode forward: the
    fixed target of the real-data terms. In the G step both are None and ``batch_size`` is the
    batch size of the update.
    """

    nets: InfoGANNets
    rng: np.random.Generator
    distortion: Distortion
    batch_size: int
    x_real: np.ndarray | None = None
    q_real: np.ndarray | None = None
    dq_real: np.ndarray | None = field(default=None, repr=False)
    #: the weight of the term being run (set by :meth:`Term.run`); the sinks apply it
    weight: float = 1.0
    #: whether the term being run handed a sink a gradient that was not finite
    nonfinite: bool = field(default=False, repr=False)

    @property
    def latent(self) -> LatentSpec:
        return self.nets.config.latent

    def distort(self, images: np.ndarray) -> np.ndarray:
        """A randomly distorted copy of ``images``, one distortion per image."""
        return self.distortion(images, self.rng)

    def distort_grouped(self, images: np.ndarray, group_size: int) -> np.ndarray:
        """A distorted copy of ``images`` in which each run of ``group_size`` images shares one distortion."""
        return self.distortion.grouped(images, group_size, self.rng)

    @staticmethod
    def finite(*arrays: np.ndarray) -> bool:
        """Whether every value of ``arrays`` is finite (the term's guard before its loss)."""
        return all(bool(np.all(np.isfinite(a))) for a in arrays)

    def _weighted(self, grad: np.ndarray) -> np.ndarray:
        """The term's gradient times its weight (in place), or zeros if it is not finite."""
        if not self.finite(grad):
            self.nonfinite = True
            return np.zeros_like(grad)
        grad *= self.weight
        return grad

    def add_q_real_grad(self, dq: np.ndarray) -> None:
        """Hand the step an unweighted gradient on ``q_real`` for the real batch's backward."""
        dq = self._weighted(dq)
        if self.dq_real is None:
            self.dq_real = dq
        else:
            self.dq_real += dq

    def backward_d_pass(self, dq: np.ndarray) -> None:
        """Finish a term's own trunk/Q pass on images with its unweighted gradient on Q's output
        (images are data: no gradient for the input)."""
        self.nets.trunk.backward(self.nets.q_head.backward(self._weighted(dq)), need_dx=False)

    def backward_g(self, dx: np.ndarray) -> None:
        """Finish a term's own G pass with its unweighted gradient on G's images."""
        self.nets.G.backward(self._weighted(dx))


class Term:
    """Base class of the extra training terms (module docstring). Subclasses set the class
    attributes and implement :meth:`apply`; an instance holds the term's :class:`Schedule`."""

    name: ClassVar[str]
    step: ClassVar[str]             # "D" or "G"
    trains: ClassVar[str]
    logs: ClassVar[str]
    maximise: ClassVar[bool] = False
    rides_on_real: ClassVar[bool] = False
    #: whether the term reads G's images (every G-step term; a D-step term that draws its own fakes)
    reads_fakes: ClassVar[bool] = False
    #: the fewest categorical and continuous codes the term needs
    needs_categorical: ClassVar[int] = 0
    needs_continuous: ClassVar[int] = 0

    def __init__(self, schedule: Schedule | None = None):
        if schedule is None:
            schedule = Schedule()
        if not isinstance(schedule, Schedule):
            raise TypeError(f"`schedule` of term {self.name!r} must be a Schedule, got {type(schedule).__name__}")
        self.schedule = schedule

    @classmethod
    def applies_to(cls, latent: LatentSpec) -> bool:
        """Whether the latent layout has the codes this term works on."""
        return latent.n_categorical >= cls.needs_categorical and latent.continuous >= cls.needs_continuous

    def apply(self, ctx: TermContext) -> float:  # pragma: no cover - abstract
        """Forward, and the term's unweighted gradient handed to a sink of ``ctx``; return its
        unweighted statistic (NaN if it met values that are not finite)."""
        raise NotImplementedError

    def run(self, ctx: TermContext, weight: float) -> float:
        """The step's call: :meth:`apply` with ``weight`` on its gradient, and the NaN policy
        (module docstring): NaN if a sink was handed a gradient that was not finite."""
        ctx.weight, ctx.nonfinite = weight, False
        statistic = float(self.apply(ctx))
        return float("nan") if ctx.nonfinite else statistic

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.schedule})"


class StepTerms:
    """The terms acting in one step: the step's two hooks, and their share of its loss.

    Parameters
    ----------
    active : list of (Term, float)
        The step's terms that act in this update, with their weights, in registry order.
    ctx : TermContext or None
        What they get (None when ``active`` is empty).
    """

    def __init__(self, active: list, ctx: TermContext | None):
        self.active = active
        self.ctx = ctx
        #: each term's unweighted statistic, as it ran
        self.stats: dict[str, float] = {}

    def on_real_batch(self, h: np.ndarray, dh: np.ndarray) -> np.ndarray:
        """D-step hook inside the real batch's pass: Q reads the batch's trunk features ``h`` (the
        target of the real-data terms), the terms that ride on that reading run, and their gradient
        joins ``dh``, the gradient on ``h`` (returned), for the batch's one trunk backward."""
        if not self.active:
            return dh
        nets = self.ctx.nets
        self.ctx.q_real = nets.q_head(h).copy()
        self._run(riding=True)
        if self.ctx.dq_real is not None:
            dh += nets.q_head.backward(self.ctx.dq_real)
        return dh

    def own_passes(self) -> None:
        """Hook after a step's main backward: the terms with passes of their own run."""
        self._run(riding=False)

    def _run(self, riding: bool) -> None:
        for term, weight in self.active:
            if term.rides_on_real == riding:
                self.stats[term.name] = term.run(self.ctx, weight)

    def loss_share(self) -> float:
        """The terms' share of the step's loss: + weight x statistic for a penalty, - for an objective."""
        return sum((-w if t.maximise else w) * self.stats[t.name] for t, w in self.active)
