"""Every setting of a training run in one object, and the flat ``key=value`` view of it.

:class:`TrainingConfig` holds the paper's hyperparameters (:class:`npgan.models.InfoGANConfig`),
the schedule of each extra training term (:mod:`npgan.train.terms`) and the ranges of the random
distortions the real-data terms use (:class:`npgan.data.augment.Distortion`). Recipes
(:mod:`npgan.recipes`), ``npgan train --set KEY=VALUE`` and a run's ``config.json`` all speak the
same flat keys::

    lambda_cont=0.1            a field of InfoGANConfig
    latent.continuous=3        a field of its LatentSpec
    consistency.weight=1       a term's Schedule field (weight, start, early_weight, early_updates)
    distortion.scale_x=0.7,1.4 a Distortion range
    starts.count=3             several starts, the best continued (:mod:`npgan.train.starts`)

:func:`TrainingConfig.from_dict` also reads the flat configs that npgan wrote before the terms had
their own package (checkpoints and ``config.json`` of older runs). :func:`read_run_config` and
:func:`checkpoint_config` read the settings of a run's ``config.json`` and of a checkpoint, with the
errors of those files (:mod:`npgan.run`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from npgan._checks import check_int
from npgan._json import JSONFileError
from npgan.data.augment import Distortion
from npgan.models.infogan import Q_STD_CHOICES, InfoGANConfig
from npgan.models.latent import LatentSpec
from npgan.run.checkpoint import CheckpointError
from npgan.run.folder import read_run_meta
from npgan.run.state_check import check_meta
from npgan.train.terms import STARTS_STATISTIC, TERMS, Schedule

#: the paper's settings that are not run settings (fixed by the networks)
_FIXED = ("latent", "image_shape")
_TERM_FIELDS = tuple(f.name for f in dataclasses.fields(Schedule))
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


#: at most this many starts (each is a run of ``starts.updates`` updates)
MAX_STARTS = 16


@dataclass(frozen=True)
class Starts:
    """How many starts a run makes, and when it chooses among them (:mod:`npgan.train.starts`).

    Parameters
    ----------
    count : int, 1 .. 16
        Number of starts (1: a plain run, no choice).
    updates : int
        Each start's length; the choice is made after this update.
    window : int
        The statistic is averaged over the last ``window`` updates up to ``updates``.
    """

    count: int = 1
    updates: int = 1000
    window: int = 100

    def __post_init__(self):
        object.__setattr__(self, "count", check_int(self.count, "count", minimum=1))
        if self.count > MAX_STARTS:
            raise ValueError(f"`count` must be at most {MAX_STARTS}, got {self.count}")
        object.__setattr__(self, "updates", check_int(self.updates, "updates", minimum=1))
        object.__setattr__(self, "window", check_int(self.window, "window", minimum=1))
        if self.window > self.updates:
            raise ValueError(f"`window` ({self.window}) must be at most `updates` ({self.updates})")


_STARTS_FIELDS = tuple(f.name for f in dataclasses.fields(Starts))


def _all_off() -> dict[str, Schedule]:
    return {name: Schedule() for name in TERMS}


@dataclass(frozen=True)
class TrainingConfig:
    """The full, resolved settings of a training run.

    Parameters
    ----------
    model : InfoGANConfig
        The paper's hyperparameters (networks, L_I weights, optimisers, batch size, GAN baseline).
    terms : dict[str, Schedule]
        The schedule of every registered term (a term not given is off).
    distortion : Distortion
        Ranges of the random distortions of the real-data terms (``consistency``, ``code_equivariance``).
    recipe : str
        The recipe the settings were resolved from (a label for reports; training does not read it).
    starts : Starts
        How many starts the run makes and when it chooses the one it continues (default: one).
    """

    model: InfoGANConfig = field(default_factory=InfoGANConfig)
    terms: dict = field(default_factory=_all_off)
    distortion: Distortion = field(default_factory=Distortion)
    recipe: str = ""
    starts: Starts = field(default_factory=Starts)

    def __post_init__(self):
        if not isinstance(self.model, InfoGANConfig):
            raise TypeError(f"`model` must be an InfoGANConfig, got {type(self.model).__name__}")
        if not isinstance(self.distortion, Distortion):
            raise TypeError(f"`distortion` must be a Distortion, got {type(self.distortion).__name__}")
        terms = dict(self.terms)
        unknown = sorted(set(terms) - set(TERMS))
        if unknown:
            raise ValueError(f"`terms` names unknown training term(s) {unknown}; the terms are {list(TERMS)}")
        for name, sched in terms.items():
            if not isinstance(sched, Schedule):
                raise TypeError(f"`terms[{name!r}]` must be a Schedule, got {type(sched).__name__}")
        object.__setattr__(self, "terms", {name: terms.get(name, Schedule()) for name in TERMS})
        if not isinstance(self.recipe, str):
            raise TypeError(f"`recipe` must be a str, got {type(self.recipe).__name__}")
        if not isinstance(self.starts, Starts):
            raise TypeError(f"`starts` must be a Starts, got {type(self.starts).__name__}")
        self._check_starts()

    def _check_starts(self) -> None:
        """Choosing among starts reads a term's statistic (the registry's ``STARTS_STATISTIC``): the
        term must act in the window."""
        st, name = self.starts, STARTS_STATISTIC
        if st.count == 1:
            return
        if self.model.gan_baseline:
            raise ValueError(f"starts.count > 1 chooses by the {name} term, which the GAN baseline does "
                             "not have; use starts.count=1 with gan_baseline")
        sched = self.terms[name]
        off = [u for u in range(st.updates - st.window + 1, st.updates + 1) if sched.at(u) == 0]
        if off:
            raise ValueError(f"starts.count={st.count} chooses by the {name} statistic of updates "
                             f"{st.updates - st.window + 1}-{st.updates}, but the {name} term is off in update "
                             f"{off[0]}; set {name}.weight > 0 (and its start before then)")

    # ------------------------------------------------------------------ the flat view
    def settings(self) -> dict:
        """Every settable key and its value (tuples for ranges and category counts)."""
        out = {f.name: getattr(self.model, f.name) for f in dataclasses.fields(self.model)
               if f.name not in _FIXED}
        lat = self.model.latent
        out.update({"latent.noise_dim": lat.noise_dim, "latent.categorical": tuple(lat.categorical),
                    "latent.continuous": lat.continuous})
        for name, sched in self.terms.items():
            out.update({f"{name}.{k}": getattr(sched, k) for k in _TERM_FIELDS})
        out.update({f"distortion.{f.name}": getattr(self.distortion, f.name)
                    for f in dataclasses.fields(self.distortion)})
        out.update({f"starts.{k}": getattr(self.starts, k) for k in _STARTS_FIELDS})
        return out

    def with_settings(self, changes: dict) -> "TrainingConfig":
        """A copy with ``changes`` (flat keys; values typed, or strings as on the command line).

        Raises
        ------
        ValueError
            An unknown key (the message lists the known ones) or a value the field rejects (the
            message names the key and the allowed values).
        """
        current = self.settings()
        new = dict(current)
        for key, value in changes.items():
            if key not in current:
                raise ValueError(f"unknown setting {key!r}; the settings are: {', '.join(current)}")
            new[key] = parse_setting(key, value, current[key]) if isinstance(value, str) else value
        return TrainingConfig.from_settings(new, recipe=self.recipe)

    @classmethod
    def from_settings(cls, flat: dict, recipe: str = "") -> "TrainingConfig":
        """Build from a complete flat mapping (:meth:`settings`)."""
        def build(what, make):
            try:
                return make()
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad setting{what}: {exc}") from None

        flat = dict(flat)
        lat = build(" of latent.*", lambda: LatentSpec(
            noise_dim=flat.pop("latent.noise_dim"), categorical=tuple(flat.pop("latent.categorical")),
            continuous=flat.pop("latent.continuous")))
        terms = {name: build(f" of {name}.*", lambda name=name: Schedule(
            **{k: flat.pop(f"{name}.{k}") for k in _TERM_FIELDS})) for name in TERMS}
        dist = build(" of distortion.*", lambda: Distortion(**{
            k[len("distortion."):]: flat.pop(k) for k in [k for k in flat if k.startswith("distortion.")]}))
        starts = build(" of starts.*", lambda: Starts(**{k: flat.pop(f"starts.{k}") for k in _STARTS_FIELDS}))
        model = build("", lambda: InfoGANConfig(latent=lat, **flat))
        return build("", lambda: cls(model=model, terms=terms, distortion=dist, recipe=recipe, starts=starts))

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict:
        """A JSON-able dict (``config.json`` and checkpoints)."""
        return {"model": self.model.to_dict(),
                "terms": {name: dataclasses.asdict(s) for name, s in self.terms.items()},
                "distortion": {k: list(v) if isinstance(v, tuple) else v
                               for k, v in dataclasses.asdict(self.distortion).items()},
                "recipe": self.recipe, "starts": dataclasses.asdict(self.starts)}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainingConfig":
        """Inverse of :meth:`to_dict`; also reads the flat configs of older npgan versions."""
        if not isinstance(d, dict):
            raise TypeError(f"a training config must be a dict, got {type(d).__name__}")
        if "model" not in d:
            return _from_flat_legacy(d)
        unknown = sorted(set(d) - set(_SECTIONS))
        if unknown:
            raise ValueError(f"unknown training config entries {unknown}")
        _check_sections(d)
        terms = {}
        for name, s in d.get("terms", {}).items():
            if name not in TERMS:
                raise ValueError(f"the config names an unknown training term {name!r}; the terms are {list(TERMS)}")
            _check_type(s, dict, f"terms.{name}")
            terms[name] = Schedule(**s)
        return cls(model=InfoGANConfig.from_dict(d["model"]), terms=terms,
                   distortion=_distortion(d.get("distortion", {})), recipe=d.get("recipe", ""),
                   starts=Starts(**d.get("starts", {})))


#: the entries of :meth:`TrainingConfig.to_dict` and their types
_SECTIONS = {"model": dict, "terms": dict, "distortion": dict, "recipe": str, "starts": dict}
_LATENT_KEYS = ("noise_dim", "categorical", "continuous")


def _check_type(value, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"the config's `{where}` must be a {'dict' if kind is dict else kind.__name__}, "
                        f"got {type(value).__name__}")


def _check_sections(d: dict) -> None:
    """The nesting :meth:`TrainingConfig.from_dict` reads, with a TypeError/ValueError naming what is wrong
    (the fields' own values are checked by the classes they build)."""
    for name, kind in _SECTIONS.items():
        if name in d:
            _check_type(d[name], kind, name)
    _check_latent(d["model"], "model")


def _check_latent(model: dict, where: str) -> None:
    """``model["latent"]`` as ``InfoGANConfig.from_dict`` reads it (``where``: the model's place in the
    config, "" for the flat config of an older npgan)."""
    latent, name = model.get("latent"), f"{where}.latent" if where else "latent"
    if latent is None:
        raise ValueError(f"the config's `{where}` has no `latent` entry" if where else
                         "the config has no `model` entry (nor the `latent` of an older npgan's flat config)")
    _check_type(latent, dict, name)
    missing = [k for k in _LATENT_KEYS if k not in latent]
    if missing:
        raise ValueError(f"the config's `{name}` has no {missing} entries")
    _check_type(latent["categorical"], list, f"{name}.categorical")


def _distortion(d: dict) -> Distortion:
    return Distortion(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


#: settings of the older flat config that were tried and retired, with their "off" value
_RETIRED = {"q_split": False, "fake_consistency": 0.0, "categorical_from": 0}


def _from_flat_legacy(d: dict) -> TrainingConfig:
    """The flat InfoGANConfig dict written before the terms had their own package."""
    _check_latent(d, "")
    d = dict(d)
    for key, off in _RETIRED.items():
        if key in d and d.pop(key) != off:
            raise ValueError(f"this run was trained with the retired setting {key!r}, which this version "
                             "of npgan no longer has; evaluate or resume it with npgan 0.1")
    terms = {"consistency": Schedule(d.pop("consistency", 0.0), 0, d.pop("consistency_early", 0.0),
                                     d.pop("consistency_early_updates", 0))}
    for name in ("code_prior", "ortho_jacobian", "code_equivariance"):
        terms[name] = Schedule(d.pop(name, 0.0), d.pop(name + "_from", 0))
    dist = _distortion(d.pop("distortion", {}))
    return TrainingConfig(model=InfoGANConfig.from_dict(d), terms=terms, distortion=dist)


def parse_setting(key: str, text: str, current):
    """``text`` (from the command line) as a value of the type of ``current``, the setting's value."""
    def fail(what):
        raise ValueError(f"setting {key!r} must be {what}, got {text!r}")

    t = text.strip()
    if isinstance(current, bool):
        if t.lower() in _TRUE:
            return True
        if t.lower() in _FALSE:
            return False
        fail("true or false")
    if isinstance(current, int):
        try:
            return int(t)
        except ValueError:
            fail("an integer")
    if isinstance(current, float):
        try:
            return float(t)
        except ValueError:
            fail("a number")
    if isinstance(current, tuple):
        parts = [p for p in t.replace(" ", "").split(",") if p]
        kind = int if key == "latent.categorical" else float
        try:
            values = tuple(kind(p) for p in parts)
        except ValueError:
            fail(f"comma-separated {'integers' if kind is int else 'numbers'} (e.g. {','.join(map(str, current))})")
        if key != "latent.categorical" and len(values) != len(current):
            fail(f"{len(current)} comma-separated numbers (e.g. {','.join(map(str, current))})")
        return values
    if key == "q_std" and t not in Q_STD_CHOICES:
        fail(f"one of {', '.join(Q_STD_CHOICES)}")
    return t


def read_run_config(path) -> tuple[dict, TrainingConfig]:
    """``(meta, TrainingConfig)`` of a run's ``config.json`` (:func:`npgan.run.folder.read_run_meta`);
    a config whose settings cannot be read is a :class:`~npgan._json.JSONFileError` naming the file
    and the fault."""
    meta = read_run_meta(path)
    try:
        return meta, TrainingConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as exc:
        raise JSONFileError(f"{path}: the run's settings cannot be read: {exc}") from None


def checkpoint_config(state, source) -> TrainingConfig:
    """The settings of a training checkpoint, its top level checked first
    (:func:`npgan.run.state_check.check_meta`).

    ``state`` may come from :func:`~npgan.run.checkpoint.load_checkpoint` or
    :func:`~npgan.run.checkpoint.read_checkpoint_meta` (arrays not loaded). Every failure is a
    :class:`~npgan.run.checkpoint.CheckpointError` naming ``source``.
    """
    check_meta(state, source)
    try:
        return TrainingConfig.from_dict(state["config"])
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        what = exc if not isinstance(exc, KeyError) else f"missing entry {exc}"
        raise CheckpointError(f"{source}: config: {what}") from None
