"""lecnotes.report.spread: the mean and range of runs, written one way."""

import pytest
import torch

from lecnotes import report
from lecnotes.report import compare, difference, spread, standard_error, sweep_table


def test_spread_gives_the_mean_then_the_smallest_and_largest_run():
    assert spread(torch.tensor([[0.2, 0.6], [0.4, 0.4]])) == "0.400 (0.200 to 0.600)"


def test_spread_uses_the_format_for_all_three_numbers():
    assert spread([1, 2, 6], ".0f") == "3 (1 to 6)"
    assert spread([0.5], ".1%") == "50.0% (50.0% to 50.0%)"


def test_spread_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        spread([])


def test_sweep_table_has_a_row_per_setting_with_the_spread_over_seeds():
    from lecnotes.sweep import Sweep

    loss = torch.tensor([[[0.9, 0.5, 0.6], [0.8, 0.4, 0.7]]])  # 1 setting, 2 seeds, 3 epochs
    res = Sweep([0.5], [0, 1], train_loss=loss, train_acc=1 - loss, valid_loss=loss, valid_acc=1 - loss)
    table = sweep_table(res, labels=["p = 0.5"]).splitlines()
    assert len(table) == 3
    assert table[2] == ("| p = 0.5 | 0.650 (0.600 to 0.700) | 0.450 (0.400 to 0.500) | 2, 2 "
                        "| 0.650 (0.600 to 0.700) | 55.0% (50.0% to 60.0%) | 35.0% (30.0% to 40.0%) |")
    with pytest.raises(ValueError, match="labels"):
        sweep_table(res, labels=["a", "b"])


def test_standard_error_is_the_std_over_images_divided_by_their_root_count():
    per_image = torch.tensor([[0.2, 0.4, 0.6, 0.8], [1.0, 1.0, 1.0, 1.0]])
    se = standard_error(per_image)
    assert torch.allclose(se, torch.tensor([per_image[0].std().item() / 2, 0.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="at least 2 images"):
        standard_error(torch.tensor([0.5]))


def test_a_difference_is_clear_only_beyond_the_seed_spread_and_twice_the_noise():
    base = torch.tensor([[0.40, 0.60, 0.50, 0.70], [0.42, 0.62, 0.52, 0.72]])  # seeds 0.02 apart
    shifted = difference(base + 0.1, base)
    assert shifted.mean == pytest.approx(0.1) and shifted.noise == pytest.approx(0.0, abs=1e-6)
    assert shifted.seed_spread == pytest.approx(0.02) and shifted.clear
    assert "larger than" in shifted.verdict
    small = difference(base + 0.01, base)  # below the seed spread
    assert not small.clear and "not a difference" in small.verdict
    noisy = difference(base + torch.tensor([0.3, -0.1, 0.3, -0.1]), base)  # mean 0.1, noisy images
    assert noisy.mean == pytest.approx(0.1) and not noisy.clear


def test_compare_scores_setting_i_against_j_on_the_same_images_at_the_asked_epoch():
    class Result:
        def per_image(self, split, rows, at):
            self.asked = (split, rows, at)
            loss = torch.tensor([[[0.5, 0.7], [0.6, 0.8]], [[0.2, 0.4], [0.3, 0.5]]])
            return loss[rows], None

    result = Result()
    d = compare(result, 0, 1, "best")
    assert result.asked == ("valid", [0, 1], "best")
    assert d.mean == pytest.approx(0.3) and d.noise == pytest.approx(0.0, abs=1e-6)
    assert compare(result, 1, 0, split="test").mean == pytest.approx(-0.3)
    assert result.asked == ("test", [1, 0], "final")


def test_difference_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same shape \[seeds, images\]"):
        difference(torch.zeros(2, 3), torch.zeros(3, 3))


# ---- spread refuses what it cannot write as a mean and a range ----

def test_spread_of_complex_numbers_is_refused_rather_than_dropping_the_imaginary_part():
    with pytest.raises(TypeError, match=r"values must be real numbers, got torch.complex"):
        spread([1 + 2j, 3 + 0j])


@pytest.mark.parametrize("values", [[1e308, 1e308], [0.5, float("nan")], [float("inf"), 0.5]])
def test_spread_refuses_a_mean_or_a_value_that_is_not_finite(values):
    with pytest.raises(ValueError, match=r"values must be finite numbers whose mean is finite"):
        spread(values)


def test_spread_of_a_string_is_a_named_type_error():
    with pytest.raises(TypeError, match=r"values must be a tensor, array, list or tuple"):
        spread("0.5")


def test_sweep_table_refuses_a_string_of_labels_rather_than_one_letter_per_setting():
    class Result:
        settings = [0.0, 0.5]
    with pytest.raises(TypeError, match=r"labels must be a list or tuple .* got the str 'ab'"):
        sweep_table(Result(), labels="ab")


@pytest.mark.parametrize("fmt", ["%.3f", ".3q", 3])
def test_spread_names_a_format_that_is_not_a_number_format(fmt):
    with pytest.raises(ValueError, match=r"fmt must be a format spec for a number"):
        spread([0.5, 0.25], fmt)


def test_a_claim_that_holds_is_glued_with_its_format(monkeypatch):
    glued = []
    monkeypatch.setattr("lecnotes.report.glue", lambda *args: glued.append(args))
    report.claim("gap", 0.0401, ".3f", holds=torch.tensor(0.0401) > 0)
    assert glued == [("gap", 0.0401, ".3f")]


def test_a_claim_that_does_not_hold_names_the_key_and_glues_nothing(monkeypatch):
    glued = []
    monkeypatch.setattr("lecnotes.report.glue", lambda *args: glued.append(args))
    with pytest.raises(AssertionError, match="'gap' does not hold"):
        report.claim("gap", -0.02, ".3f", holds=-0.02 > 0)
    with pytest.raises(TypeError, match="holds must be True or False"):
        report.claim("gap", 0.5, holds=torch.tensor([True, False]))
    assert glued == []


def _glued(monkeypatch) -> list:
    glued = []
    monkeypatch.setattr("lecnotes.report.glue", lambda *args: glued.append(args))
    return glued


def test_claim_difference_glues_each_part_asked_for_under_its_own_key(monkeypatch):
    glued = _glued(monkeypatch)
    d = report.Difference(mean=-0.0123, seed_spread=0.02, noise=0.004)
    report.claim_difference("ch9_gap", d, holds=d.mean < 0 and not d.clear)
    assert glued == [("ch9_gap_d", 0.0123, ".3f"), ("ch9_gap_spread", 0.02, ".3f"),
                     ("ch9_gap_noise", 0.004, ".3f"), ("ch9_gap_verdict", d.verdict, None)]
    glued.clear()
    report.claim_difference("ch9_acc", d, "noise d", ".1%")  # the order asked for
    assert glued == [("ch9_acc_noise", 0.004, ".1%"), ("ch9_acc_d", 0.0123, ".1%")]


def test_claim_difference_glues_nothing_when_the_sentence_does_not_hold(monkeypatch):
    glued = _glued(monkeypatch)
    d = report.Difference(mean=0.05, seed_spread=0.01, noise=0.01)
    with pytest.raises(AssertionError, match="'ch9_gap_d' does not hold"):
        report.claim_difference("ch9_gap", d, holds=not d.clear)
    assert glued == []


@pytest.mark.parametrize("parts", ["d size", "", "   ", ["d"]])
def test_claim_difference_names_parts_it_does_not_know_before_gluing_any(monkeypatch, parts):
    glued = _glued(monkeypatch)
    d = report.Difference(mean=0.05, seed_spread=0.01, noise=0.01)
    with pytest.raises(ValueError, match="parts must be among d, spread, noise, verdict"):
        report.claim_difference("ch9_gap", d, parts)
    assert glued == []


def test_claim_difference_refuses_what_is_not_a_difference(monkeypatch):
    _glued(monkeypatch)
    with pytest.raises(TypeError, match="d must be a Difference"):
        report.claim_difference("ch9_gap", 0.05)
