"""lecnotes.pets: Oxford-IIIT Pet laid out as cats versus dogs, on a stand-in for torchvision's download.

torchvision is patched by name, so it loads only when these tests run: its import loads torch's
compiler (2-3 s), which every pytest worker would otherwise pay while collecting.
"""

from pathlib import Path

import pytest

from lecnotes.pets import oxford_pets_folder


class FakePets:
    """Plays torchvision's OxfordIIITPet: writes a split's three photos and list."""

    calls: list[str] = []

    def __init__(self, root, split, download):
        assert download
        FakePets.calls.append(split)
        base = Path(root) / "oxford-iiit-pet"
        (base / "images").mkdir(parents=True, exist_ok=True)
        (base / "annotations").mkdir(exist_ok=True)
        names = [f"{split}_{i}" for i in range(3)]
        for name in names:
            (base / "images" / f"{name}.jpg").write_bytes(b"a photo")
        # the dataset's columns: image, breed id, species (1 cat, 2 dog), breed number
        species = (1, 2, 2)
        lines = [f"{name} {7 + i} {species[i]} {i + 1}" for i, name in enumerate(names)]
        (base / "annotations" / f"{split}.txt").write_text("\n".join(lines) + "\n")


def test_pets_are_linked_as_train_and_valid_cats_and_dogs(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.datasets.OxfordIIITPet", FakePets)
    FakePets.calls = []
    out = oxford_pets_folder(tmp_path)
    assert out == tmp_path / "pets-catsdogs" and FakePets.calls == ["trainval", "test"]
    assert sorted(p.name for p in (out / "train" / "cat").iterdir()) == ["trainval_0.jpg"]
    assert sorted(p.name for p in (out / "valid" / "dog").iterdir()) == ["test_1.jpg", "test_2.jpg"]
    link = out / "train" / "dog" / "trainval_2.jpg"
    assert link.is_symlink() and link.read_bytes() == b"a photo"
    assert oxford_pets_folder(tmp_path) == out  # a second call reuses the links already there


def test_a_failed_download_names_the_folder_and_the_way_out(tmp_path, monkeypatch):
    def offline(root, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("torchvision.datasets.OxfordIIITPet", offline)
    with pytest.raises(RuntimeError) as err:
        oxford_pets_folder(tmp_path)
    assert str(tmp_path) in str(err.value) and "root/<class>/<image>" in str(err.value)


@pytest.mark.parametrize("root", [None, 123, ""])
def test_a_root_that_is_not_a_folder_name_is_named_before_any_download(root):
    with pytest.raises(TypeError, match="root"):
        oxford_pets_folder(root)
