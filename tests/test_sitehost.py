"""tests/sitehost.py: the one static server and Chromium launcher of the PDF and the browser tests."""

import urllib.request

import pytest
import sitehost


def test_serve_gives_the_folders_files_on_the_loopback_address(tmp_path):
    (tmp_path / "page.html").write_text("<p>hello</p>", encoding="utf-8")
    with sitehost.serve(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        assert urllib.request.urlopen(f"{url}/page.html", timeout=10).read() == b"<p>hello</p>"


def test_serve_stops_the_server_when_the_block_ends(tmp_path):
    with sitehost.serve(tmp_path) as url:
        pass
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/", timeout=5)


def test_serve_names_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-site"), sitehost.serve(tmp_path / "no-such-site"):
        pass


def test_launch_chromium_says_how_to_get_a_browser_when_there_is_none(monkeypatch, tmp_path):
    monkeypatch.setattr(sitehost, "CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(FileNotFoundError, match="set CHROMIUM"):
        sitehost.launch_chromium(playwright=None)
