"""How distinguishable are the synthetic digits' fonts, to Q's trunk and in the pixels?

A partition of the synthetic digits by font is as invariant under the consistency term's
distortions as one by digit (no distortion changes the font). Whether Q's categories can fall on
fonts depends on how separable the fonts are in the features Q sees. This fits a linear
(multinomial logistic) probe on D's shared trunk features (1024 per image, evaluation mode) of a
trained checkpoint, and on the raw pixels, for the digit and for the font, on 8 000 synthetic test
images, and reports the accuracy on 2 000 others (labels: for the diagnosis only; nothing here
trains the model).

    python benchmarks/font_probe.py runs/infogan runs/sweep/npgan/seed2 --pixels
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from npgan.data import make_synthetic_digits
from npgan.data.datasets import SYNTHETIC_SEEDS
from npgan.train.build import load_trained


def trunk_features(nets, images: np.ndarray, batch: int = 500) -> np.ndarray:
    """D's shared trunk on ``images`` (n, 1, 28, 28) in evaluation mode: (n, 1024)."""
    nets.eval()
    return np.concatenate([nets.trunk(images[i: i + batch]).copy() for i in range(0, len(images), batch)])


def probe_accuracy(features: np.ndarray, labels: np.ndarray, n_train: int, l2: float = 1e-3) -> float:
    """Test accuracy of an L2-regularised softmax regression fitted on the first ``n_train`` rows."""
    x = features.astype(np.float64)
    mu, sd = x[:n_train].mean(0), x[:n_train].std(0) + 1e-12  # standardise on the training rows
    x = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    k = int(labels.max()) + 1
    xt, yt = x[:n_train], labels[:n_train]
    onehot = np.eye(k)[yt]

    def loss(w):
        w = w.reshape(x.shape[1], k)
        logp = log_softmax(xt @ w, axis=1)
        grad = xt.T @ (np.exp(logp) - onehot) / len(xt) + l2 * w
        return -np.mean(np.sum(onehot * logp, axis=1)) + 0.5 * l2 * np.sum(w * w), grad.ravel()

    w = minimize(loss, np.zeros(x.shape[1] * k), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    pred = np.argmax(x[n_train:] @ w.reshape(x.shape[1], k), axis=1)
    return float(np.mean(pred == labels[n_train:]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="*", help="checkpoints or run folders")
    ap.add_argument("--pixels", action="store_true", help="also probe the raw pixels")
    ap.add_argument("--n", type=int, default=10000)
    args = ap.parse_args(argv)
    data = make_synthetic_digits(args.n, SYNTHETIC_SEEDS["test"])
    n_train = int(0.8 * args.n)
    digit, font = data.factors["digit"], data.factors["font"]
    print(f"{args.n} synthetic test images, probe fitted on {n_train}; chance: digit 0.100, "
          f"font {1 / len(data.fonts):.3f} ({len(data.fonts)} fonts)")
    print("| features | digit | font |\n| --- | --- | --- |")
    if args.pixels:
        px = data.images.reshape(args.n, -1)
        print(f"| pixels | {probe_accuracy(px, digit, n_train):.3f} | {probe_accuracy(px, font, n_train):.3f} |")
    for run in args.runs:
        nets, meta = load_trained(run)
        h = trunk_features(nets, data.images)
        print(f"| {run} (update {meta['update']}) | {probe_accuracy(h, digit, n_train):.3f} | "
              f"{probe_accuracy(h, font, n_train):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
