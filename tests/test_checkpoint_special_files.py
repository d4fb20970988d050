"""A checkpoint path that is no regular file is named for what it is (issue 33: /dev/null was "a directory")."""

import pytest

from npgan.cli import main


@pytest.mark.parametrize("path, kind", [("/dev/null", "a device, pipe or socket")])
def test_eval_of_a_special_file_says_what_it_is(capsys, path, kind):
    assert main(["eval", path]) == 2
    err = capsys.readouterr().err
    assert err == f"npgan eval: error: {path}: is {kind}, not a checkpoint file\n"


def test_a_directory_is_still_a_directory(tmp_path, capsys):
    from npgan.run import CheckpointError, load_checkpoint
    with pytest.raises(CheckpointError, match="is a directory, not a checkpoint file"):
        load_checkpoint(tmp_path)
