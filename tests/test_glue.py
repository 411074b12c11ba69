"""lecnotes.glue: a value is recorded for the prose, or a named error says why it cannot be."""

import numpy as np
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

from lecnotes.glue import PREFIX, glue


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")


@pytest.fixture
def shown(monkeypatch):
    """An IPython shell whose displayed outputs are collected in a list."""
    shell = InteractiveShell.instance()
    outputs = []
    monkeypatch.setattr(shell.display_pub, "publish",
                        lambda data, metadata=None, **kwargs: outputs.append((data, metadata)))
    return outputs


def test_a_number_is_recorded_under_its_name_with_the_hidden_prefix(shown):
    glue("answer", 0.5)
    [(data, metadata)] = shown
    assert data == {PREFIX + "text/plain": "0.5"}
    assert metadata["scrapbook"] == {"name": "answer", "mime_prefix": PREFIX}


def test_a_value_whose_repr_raises_is_a_named_error_and_records_nothing(shown):
    with pytest.raises(ValueError, match=r"glue cannot record 'broken': repr\(\) of the value "
                                         r"\(a Unprintable\) raised RuntimeError: repr is broken"):
        glue("broken", Unprintable())
    assert shown == []


@pytest.mark.parametrize("value, fmt, text", [
    (0.04, ".3f", "'0.040'"),                 # the trailing zero the prose shows is kept
    (0.84567, ".1%", "'84.6%'"),
    (np.float32(0.1234), ".2f", "'0.12'"),
    (torch.tensor(12345), ",", "'12,345'"),
    (-0.0001, "+.3f", "'+0.000'"),            # a value that rounds to 0 carries no minus sign
])
def test_a_number_glued_with_a_format_is_stored_as_the_text_the_prose_shows(shown, value, fmt,
                                                                            text):
    glue("n", value, fmt)
    [(data, _)] = shown
    assert data == {PREFIX + "text/plain": text}


@pytest.mark.parametrize("value, fmt, error", [("0.5", ".3f", TypeError), (True, ".3f", TypeError),
                                               (torch.ones(2), ".3f", TypeError),
                                               (0.5, ".3q", ValueError), (0.5, "", ValueError)])
def test_a_format_for_something_that_is_not_one_number_is_a_named_error(shown, value, fmt,
                                                                       error):
    with pytest.raises(error, match="glue 'n'"):
        glue("n", value, fmt)
    assert shown == []
