"""What the training chapter's 'Why cross-entropy?' and the minibatch chapter's plain loop and
'Centring and scaling the inputs' conclude, checked on the values the built book glued (no
chapter is re-run: the session's book build pays for execution)."""

from __future__ import annotations

from pathlib import Path

from test_book_build import glued


def test_cross_entropy_keeps_the_gradient_the_squared_error_loses(built_book: Path) -> None:
    v = {k: float(x) for k, x in glued(built_book, "book/training").items()
         if k.startswith("training_") and x and x[0].isdigit()}
    # the raw run: order-one gradient at the logits, a vanishing one at the saturated layer 1
    assert v["training_grad_raw_3"] > 0.1 > 1e-3 > v["training_grad_raw_1"]
    # confidently wrong images: the squared error's gradient at the logits is smaller
    assert v["training_sure_wrong"] >= 20
    assert v["training_ce_grad_wrong"] <= 2 ** 0.5 + 1e-9
    assert v["training_ce_se_ratio"] > 2 and v["training_se_grad_wrong"] < v["training_ce_grad_wrong"]
    # the prose: the ratio is modest because p is not piled onto one wrong class
    assert v["training_sure_top_wrong"] < 0.9
    # the prose: the raw network makes more confident mistakes, not a larger share of its mistakes
    assert v["training_sure_wrong"] > v["training_sure_wrong_scaled"]
    assert v["training_sure_share_err_raw"] <= v["training_sure_share_err_scaled"]
    # each loss had its own validated rate, and both learned far beyond chance
    assert v["training_ce_e4_min"] > 0.5 and v["training_se_e4_min"] > 0.5


def test_plain_minibatch_loop_and_centring(built_book: Path) -> None:
    v = glued(built_book, "book/minibatch")
    assert float(v["mb_loop_gap"]) < 1e-10, "the fast loop left the plain one's path"
    assert float(v["mb_loop_ratio"]) > 0
    assert float(v["mb_plain_acc"]) > 0.8
    assert int(v["mb_std_zero"]) > 0 and int(v["mb_std_floored"]) >= int(v["mb_std_zero"])
    assert float(v["mb_std_max"]) <= 10.0 + 1e-6, "the floor should cap standardised values at 10"
    assert min(float(v["mb_std_e2_min"]), float(v["mb_div_e2_min"])) > 0.8
