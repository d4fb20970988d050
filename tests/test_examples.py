"""The teaching examples run and say what they should."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_gradient_check_example(capsys):
    runpy.run_path(str(EXAMPLES / "gradient_check.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("(ok)") == 4 and "FAIL" not in out


def test_step_by_step_example(capsys):
    runpy.run_path(str(EXAMPLES / "infogan_step_by_step.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "(16, 1, 28, 28)" in out and "G loss" in out and "D loss" in out


def test_step_by_step_example_computes_what_the_trainer_computes(capsys):
    """The unrolled update of the example and one InfoGANTrainer.update from the same seed (same
    initial weights, real batch and latent draws) end with the same networks and the same L_I."""
    import numpy as np

    from npgan.models import InfoGANNets
    from npgan.train import InfoGANTrainer

    ex = runpy.run_path(str(EXAMPLES / "infogan_step_by_step.py"), run_name="__main__")
    capsys.readouterr()
    rng = np.random.default_rng(0)                       # the example's one generator, replayed
    nets = InfoGANNets(ex["cfg"], rng)
    x_real = rng.uniform(0, 1, size=(ex["B"], 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(x_real, ex["x_real"])
    stats = InfoGANTrainer(nets, rng).update(x_real)
    theirs = ex["nets"].state_dict()
    for key, value in nets.state_dict().items():
        # the example scales dq by lambda and 1/B in another order: the last float32 bits may differ
        np.testing.assert_allclose(value, theirs[key], rtol=1e-5, atol=1e-7, err_msg=key)
    assert stats.g_loss == pytest.approx(float(ex["g_loss"]) - ex["cfg"].lambda_cat * float(ex["li_cat"])
                                         - ex["cfg"].lambda_cont * float(ex["li_cont"]), rel=1e-5)
