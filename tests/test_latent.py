import numpy as np
import pytest

from npgan.models import LatentSpec


def test_layout_and_sampling():
    lat = LatentSpec()
    assert lat.input_dim == 74 and lat.q_output_dim == 14
    assert np.isclose(lat.categorical_entropy(), np.log(10))
    z, cat, cont = lat.sample(500, np.random.default_rng(0))
    assert z.dtype == np.float32 and cont.dtype == np.float32
    assert z.min() >= -1 and z.max() <= 1 and cont.min() >= -1 and cont.max() <= 1
    assert set(np.unique(cat)) == set(range(10))
    x = lat.assemble(z, cat, cont)
    assert x.shape == (500, 74)
    np.testing.assert_array_equal(np.argmax(x[:, 62:72], axis=1), cat[:, 0])
    assert np.all(x[:, 62:72].sum(axis=1) == 1)
    np.testing.assert_array_equal(x[:, 72:], cont)
    logits, mean, log_std = lat.split_q(np.arange(14.0)[None])
    assert logits[0].shape == (1, 10) and mean[0, 0] == 10 and log_std[0, 1] == 13


def test_several_codes():
    lat = LatentSpec(noise_dim=3, categorical=(4, 2), continuous=1)
    z, cat, cont = lat.sample(7, np.random.default_rng(1))
    x = lat.assemble(z, cat, cont)
    assert x.shape == (7, 3 + 6 + 1)
    np.testing.assert_array_equal(np.argmax(x[:, 3:7], 1), cat[:, 0])
    np.testing.assert_array_equal(np.argmax(x[:, 7:9], 1), cat[:, 1])


def test_bad_latent_specs():
    with pytest.raises(ValueError, match="categorical"):
        LatentSpec(categorical=(1,))
    with pytest.raises(TypeError, match="noise_dim"):
        LatentSpec(noise_dim=2.5)
    with pytest.raises(ValueError, match="empty"):
        LatentSpec(noise_dim=0, categorical=(), continuous=0)
    lat = LatentSpec()
    z, cat, cont = lat.sample(2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cat"):
        lat.assemble(z, cat + 10, cont)
    with pytest.raises(ValueError, match="z"):
        lat.assemble(z[:, :3], cat, cont)
    with pytest.raises(TypeError, match="rng"):
        lat.sample(2, 0)
