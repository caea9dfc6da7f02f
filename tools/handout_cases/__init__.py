"""A catalogue of student solutions and student mistakes for the nine gaps of the convolution exercise.

Each gap of the course's files (`# START TODO` ... `# END TODO`) has one module here, named after
the gap: conv_output, pad_array, single_filter, single_filter_batch, multi_filter_batch,
conv_forward, conv_model, shifted_mlp and shift_data. A module is plain data:

    GAP = "pad_array"
    SOLUTIONS = {name: code}
    MISTAKES = {name: (base solution, old text, new text, what the student got wrong)}

A solution is the code that goes between the two markers, without the markers and without the
gap's hint comments, written at indentation 0; a tool re-indents it to the gap's indentation
(`textwrap.indent`). It uses only the names the gap's context defines before the gap (and `np`)
and defines what the code after the gap uses; inside `Conv2d.forward` it uses `self`, `x` and
`feature_map`, stores the zero-padded input in `self.input_cache` and ends with the `return`.
Every solution computes exactly what the gap's contract asks for, for every valid input, and keeps
the exercise's rules (`Conv2d.forward`: at most two nested loops, vectorised over the batch and the
channels). The solutions differ the way students' solutions differ: loops or broadcasting,
`np.tensordot`, `np.einsum`, strided views, `np.pad` or slicing into zeros, keyword or positional
arguments.

A mistake is one small change of one solution: the mistaken code is
`SOLUTIONS[base].replace(old, new)`, where `old` occurs exactly once in the base solution. The
fourth element says in a student's words what went wrong. Every mistake runs (some raise an
exception at run time, as the student's code would) and is wrong for at least one valid input,
breaks the two-loop rule, or changes the caller's array.

The handout's tests should accept every solution and reject every mistake; the catalogue is the
material for checking that.
"""
