"""npgan: InfoGAN from scratch in NumPy.

Hand-written forward and backward passes (:mod:`npgan.nn`), numba kernels
(:mod:`npgan.kernels`), an information-theory module (:mod:`npgan.info`) and
the InfoGAN model, training loop and command line built on them.

Layering (nothing lower imports anything higher)::

    kernels  <-  nn, optim  <-  model code  <-  training  <-  cli
"""

__version__ = "0.1.0"
