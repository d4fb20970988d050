"""Evaluation of trained networks: numbers only (the figures are drawn by :mod:`npgan.figures`).

- :mod:`.clustering`: the categorical code as a clustering (Hungarian-matched accuracy, NMI).
- :mod:`.probes`: Q's outputs and codes on real images, G's images, L_I on fresh samples.
- :mod:`.sweeps`: slant and width along sweeps of each continuous code.
- :mod:`.factors`: the code-by-factor information matrix and MIG.
- :mod:`.class_agreement`: does a continuous code mean the same for every digit class?
- :mod:`.factor_report`: all of the above on the synthetic digits' known factors.
- :mod:`.run`: everything ``npgan eval`` reports for a run folder.
"""

from npgan.evaluation.class_agreement import class_agreement, class_rank_correlations
from npgan.evaluation.clustering import cluster_accuracy, normalized_mutual_information
from npgan.evaluation.factor_report import STYLE_FACTORS, factor_report
from npgan.evaluation.factors import discretize, mig, mutual_information_matrix
from npgan.evaluation.probes import (categorical_predictions, code_names, code_values, codes_from_q,
                                     estimate_li, generate, q_outputs)
from npgan.evaluation.sweeps import slant, sweep_correlations, width

__all__ = ["class_agreement", "class_rank_correlations", "cluster_accuracy", "normalized_mutual_information",
           "STYLE_FACTORS", "factor_report", "discretize", "mig", "mutual_information_matrix",
           "categorical_predictions", "code_names", "code_values", "codes_from_q", "estimate_li", "generate",
           "q_outputs", "slant", "sweep_correlations", "width"]
