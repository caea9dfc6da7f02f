"""The sheet's grading: its gaps as the handout lists them, and its graded parts (tests, points, gaps).

`GAPS` is a view of `tools.gaps.GAPS` (the one table of the gaps) in the table's order, each with its name;
`GRADED_PARTS` gives each of the sheet's points to the tests of some of those gaps. The handout's workflow
and README are generated from both (`tools.generated_files`); `tools.check_handout` runs each part's tests.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

from tools.gaps import GAPS as GAP_TABLE


class GapSpec(NamedTuple):
    """One of the exercise's gaps: its name (used by tools, test markers, catalogue), file and function."""
    name: str
    file: str
    function: str
    part_of: str = ""  # e.g. "the MLP part" when the gap is only a part of the function


class GradedPart(NamedTuple):
    """One graded part of the sheet: the workflow step's id and test name, its tests, points and gaps."""
    id: str
    name: str
    test_files: Tuple[str, ...]
    points: int
    gaps: Tuple[str, ...]

    @property
    def command(self) -> str:
        return "python -m pytest " + " ".join(self.test_files)


GAPS = tuple(GapSpec(name, gap.file, gap.function, gap.part_of) for name, gap in GAP_TABLE.items())
GRADED_PARTS = (  # the sheet's points
    GradedPart("output-size", "output size", ("tests/test_conv_output_size.py",), 1, ("conv_output",)),
    GradedPart("warm-up", "warm-up", ("tests/test_convolution_warmup.py",), 2,
               ("pad_array", "single_filter", "single_filter_batch", "multi_filter_batch")),
    GradedPart("forward", "Conv2d.forward", ("tests/test_conv_layer.py",), 2, ("conv_forward",)),
    GradedPart("create-conv-model", "create_conv_model", ("tests/test_conv_model.py",), 2, ("conv_model",)),
    GradedPart("shifted-experiment", "shifted experiment", ("tests/test_shifted_experiment.py",), 2,
               ("shifted_mlp", "shift_data")),
)
