"""Check hand-written backward passes against central differences, on any layer or network.

    python examples/gradient_check.py

Gradient checks need float64 and gradients of order 1 (the default init std 0.02 makes them tiny,
so rounding noise would dominate): the layers are built with ``init="kaiming_uniform"``.
"""

import numpy as np

from npgan import nn
from npgan.testing import check_gradients

rng = np.random.default_rng(0)
kw = dict(rng=rng, dtype=np.float64, init="kaiming_uniform")
cases = {
    "Conv2d 3->4, 3x3, stride 2, pad 1": (nn.Conv2d(3, 4, 3, stride=2, padding=1, **kw), (2, 3, 7, 7)),
    "ConvTranspose2d 4->2, 4x4, stride 2": (nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, **kw), (2, 4, 3, 3)),
    "BatchNorm2d (training)": (nn.BatchNorm2d(3, dtype=np.float64), (4, 3, 3, 3)),
    "small D-like network": (nn.Sequential(
        nn.Conv2d(1, 4, 4, stride=2, padding=1, **kw), nn.LeakyReLU(0.1),
        nn.Conv2d(4, 8, 4, stride=2, padding=1, bias=False, **kw), nn.BatchNorm2d(8, dtype=np.float64),
        nn.LeakyReLU(0.1), nn.Flatten(), nn.Linear(8 * 2 * 2, 1, **kw)), (5, 1, 8, 8)),
}
for name, (module, shape) in cases.items():
    x = rng.standard_normal(shape)
    errors = check_gradients(module, x, rng)
    worst = max(errors.values())
    print(f"{name:<38} worst relative error {worst:.2e} over {len(errors)} gradients "
          f"({'ok' if worst < 1e-6 else 'FAIL'})")
