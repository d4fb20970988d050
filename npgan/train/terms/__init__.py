"""npgan's extra training terms, each in its own module, behind :class:`Term` (:mod:`.base`).

=====================  ====  ==============================  =======================================
term                   step  trains                          what it asks
=====================  ====  ==============================  =======================================
``consistency``        D     trunk, Q head (real images)     Q's categories of a real image and of a
                                                             distorted copy agree, and are balanced
``code_prior``         D     trunk, Q head (real images)     Q's continuous readings of real images
                                                             are distributed like the codes' prior
``code_equivariance``  D     trunk, Q head (real images)     a shared distortion moves every image's
                                                             continuous readings the same way
``ortho_jacobian``     G     G                               distinct codes move G's image in
                                                             distinct (orthogonal) directions
``fake_invariance``    D     trunk, Q head (distorted fakes) Q reads G's category from a randomly
                                                             distorted copy of G's image
=====================  ====  ==============================  =======================================

Adding a term is one new module with a :class:`Term` subclass and one line in :data:`TERMS`.
"""

from npgan.train.terms.base import Schedule, StepTerms, Term, TermContext
from npgan.train.terms.code_equivariance import CodeEquivariance
from npgan.train.terms.code_prior import CodePrior
from npgan.train.terms.consistency import Consistency
from npgan.train.terms.fake_invariance import FakeInvariance
from npgan.train.terms.ortho_jacobian import OrthoJacobian

#: every term, in the order a step runs them (the order fixes the run's random stream)
TERMS: dict[str, type[Term]] = {cls.name: cls for cls in (Consistency, CodePrior, CodeEquivariance, OrthoJacobian,
                                                      FakeInvariance)}

#: the term whose logged statistic chooses among a run's starts (:mod:`npgan.train.starts`): Q's
#: agreement on real images and their distorted copies, which reads no label
STARTS_STATISTIC = Consistency.name


def build_terms(schedules) -> list[Term]:
    """One instance of every registered term, with its schedule from ``schedules`` (a mapping
    name -> :class:`Schedule`; a term not named is off)."""
    unknown = sorted(set(schedules) - set(TERMS))
    if unknown:
        raise ValueError(f"unknown training term(s) {unknown}; the terms are {list(TERMS)}")
    return [cls(schedules.get(name, Schedule())) for name, cls in TERMS.items()]


__all__ = ["Schedule", "StepTerms", "Term", "TermContext", "TERMS", "STARTS_STATISTIC", "build_terms", "Consistency", "CodePrior",
           "CodeEquivariance", "OrthoJacobian", "FakeInvariance"]
