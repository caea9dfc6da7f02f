"""The root scripts print exactly the course's lines."""
import numpy as np

import run_simple_conv
import show_conv_output_dims


def test_show_conv_output_dims_prints_the_course_lines(capsys):
    show_conv_output_dims.main()
    assert capsys.readouterr().out.splitlines() == [
        "Input shape: [7, 7]", "Kernel size: [3, 3]", "Stride: [1, 1]", "Padding: [2, 2]", "",
        "Calculating output size.", "Output shape: [9, 9]"]


def test_run_simple_conv_prints_the_course_lines(capsys):
    run_simple_conv.main([])
    assert capsys.readouterr().out.splitlines() == [
        "Input shape: (10, 1, 5, 5)", "Model: Conv2d(in=1,out=3,kernel=(3, 3),stride=(1, 1),pad=(0, 0))",
        "Output shape: (10, 3, 3, 3)"]


def test_run_simple_conv_seed_makes_the_run_repeatable():
    run_simple_conv.main(["--seed", "3"])
    first = np.random.rand()
    run_simple_conv.main(["--seed", "3"])
    assert np.random.rand() == first
