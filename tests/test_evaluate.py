import numpy as np
import pytest

from npgan.evaluation import cluster_accuracy, slant, width


def test_cluster_accuracy_is_invariant_to_relabelling():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    perm = rng.permutation(10)
    acc, mapping, conf = cluster_accuracy(labels, perm[labels], 10, 10)
    assert acc == 1.0
    assert all(mapping[perm[c]] == c for c in range(10))
    noisy = perm[labels].copy()
    noisy[:100] = (noisy[:100] + 1) % 10
    acc2, _, _ = cluster_accuracy(labels, noisy, 10, 10)
    assert acc2 == pytest.approx(0.9 + np.mean(noisy[:100] == perm[labels][:100]) * 0.1)
    assert conf.sum() == 1000 and conf[3, perm[3]] == np.sum(labels == 3)  # rows: true classes


def test_cluster_accuracy_merged_clusters_cost_accuracy():
    labels = np.repeat(np.arange(4), 25)
    pred = np.where(labels == 3, 2, labels)  # clusters 2 and 3 merged
    acc, _, _ = cluster_accuracy(labels, pred, 4, 4)
    assert acc == 0.75


def test_cluster_accuracy_bad_input():
    with pytest.raises(ValueError, match="labels_pred"):
        cluster_accuracy(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(TypeError):
        cluster_accuracy(np.zeros(3, int), np.zeros(3))


def _bar(angle_deg, half_width=1.0, half_len=8.0):
    ys, xs = np.mgrid[0:28, 0:28].astype(float)
    t = np.radians(angle_deg)
    # a bar tilted `angle_deg` from vertical, its top leaning right for angle > 0 (rows grow down)
    u = (xs - 14) * np.cos(t) + (ys - 14) * np.sin(t)   # across the bar
    v = -(xs - 14) * np.sin(t) + (ys - 14) * np.cos(t)  # along the bar
    return ((np.abs(u) <= half_width) & (np.abs(v) <= half_len)).astype(np.float32)[None, None]


def test_slant_and_width_measures():
    angles = [-30, -15, 0, 15, 30]
    s = np.concatenate([slant(_bar(a)) for a in angles])
    assert np.all(np.diff(s) > 0), s
    assert abs(s[2]) < 1e-6
    assert abs(s[-1] - 30) < 5
    w = np.concatenate([width(_bar(0, half_width=hw)) for hw in (1, 2, 4)])
    assert np.all(np.diff(w) > 0)
