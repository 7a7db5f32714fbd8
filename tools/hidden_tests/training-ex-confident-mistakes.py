def test_k_zero_and_ties(my_confident_mistakes):
    """k = 0 gives nothing; k larger than the mistakes gives all of them, most confident first."""
    import numpy as np
    from nnscratch.checks.grading import hint, own_work
    h = hint("training-ex-confident-mistakes")
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([1, 1, 1, 0])                       # wrong: rows 0 (0.9), 2 (0.6), 3 (0.7)
    with own_work("training-ex-confident-mistakes", my_confident_mistakes):
        none = np.asarray(my_confident_mistakes(probs, y, 0))
        every = np.asarray(my_confident_mistakes(probs, y, 10))
    assert none.size == 0, f"With k = 0 expected no indices, got {none.tolist()}.\nHint: {h}"
    assert every.tolist() == [0, 3, 2], (
        f"Expected the mistakes [0, 3, 2] (confidence 0.9, 0.7, 0.6), got {every.tolist()}.\nHint: {h}")
