"""lecnotes.glue: a value is recorded for the prose, or a named error says why it cannot be."""

import pytest
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
