"""Fashion-MNIST's automatic download, served from 127.0.0.1: checked, all-or-nothing per file,
and one clear error when it cannot happen.

The real ``.gz`` files from Debian's folder are served once; the failure cases serve small
valid IDX files made here, with :data:`lecnotes.data.SHA256` set to their checksums.
"""

import gzip
import hashlib
import http.server
import socket
import struct
import threading
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from lecnotes import data
from lecnotes.data import SOURCE_CLASSES, DownloadError, find_data_dir, load_split, source_task, target_task

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
NAMES = [name for pair in data.FILES.values() for name in pair]  # the order they are fetched in
BROKEN = "t10k-images-idx3-ubyte"  # the third file: two good ones come before it, one after


class Server:
    """An HTTP server on 127.0.0.1 serving ``files`` (``NAME.gz`` -> bytes), with faults.

    ``faults`` maps a ``NAME.gz`` to how its response goes wrong (see ``Handler.do_GET``);
    ``requests`` lists every path asked for.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):  # HTTP/1.0: closed after each reply
            def do_GET(self):
                name = self.path.lstrip("/")
                outer.requests.append(name)
                if name not in outer.files:
                    self.send_error(404)
                    return
                body, fault = outer.files[name], outer.faults.get(name)
                half = body[: len(body) // 2]
                announced, sent = {
                    None: (len(body), body),
                    "cut short, full length announced": (len(body), half),
                    "cut short, cut length announced": (len(half), half),
                    "cut short, no length announced": (None, half),
                    "damaged, still decompresses": (len(body), damage(body)),
                    "damaged, does not decompress": (len(body), damage_block_type(body)),
                }[fault]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if announced is not None:
                    self.send_header("Content-Length", str(announced))
                self.end_headers()
                self.wfile.write(sent)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)


def damage(body: bytes) -> bytes:
    """Flip the bits of a few bytes in the middle of the deflate payload (header and trailer
    intact). For the files here the result still decompresses, to other bytes: the CRC fails."""
    middle = bytearray(body)
    for i in range(len(body) // 2, len(body) // 2 + 4):
        middle[i] ^= 0xFF
    return bytes(middle)


def damage_block_type(body: bytes) -> bytes:
    """Set the first deflate block's type bits (just after the 10-byte gzip header) to the
    reserved value 3: the payload no longer decompresses at all."""
    first = bytearray(body)
    first[10] |= 0b110
    return bytes(first)


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def small_dataset() -> dict[str, bytes]:
    """Valid, small IDX contents for the four names: 7 training and 5 test images of noise.

    Four grey levels only, so that deflate really compresses the images (random bytes would be
    stored as they are, and damaging them would only ever break the CRC).
    """
    rng = np.random.default_rng(0)
    contents = {}
    for split, n in (("train", 7), ("test", 5)):
        images, labels = data.FILES[split]
        contents[images] = idx_bytes(rng.integers(0, 4, size=(n, 28, 28), dtype=np.uint8) * 60)
        contents[labels] = idx_bytes(rng.integers(0, 10, size=n, dtype=np.uint8))
    return contents


@pytest.fixture
def server():
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def env(tmp_path, monkeypatch, server):
    """No Fashion-MNIST anywhere: LECNOTES_DATA unset, an empty cache, an empty 'Debian' folder;
    downloads come from ``server``."""
    monkeypatch.delenv("LECNOTES_DATA", raising=False)
    monkeypatch.delenv("LECNOTES_DOWNLOAD", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LECNOTES_DATA_URL", server.url)
    (tmp_path / "empty-debian").mkdir()
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "empty-debian")
    return tmp_path


@pytest.fixture
def cache(env):
    return env / "xdg" / "lecnotes" / "fashion-mnist"


@pytest.fixture
def small(env, server, monkeypatch):
    """Serve the small dataset; its checksums replace the real ones. Returns the contents."""
    contents = small_dataset()
    server.files = {name + ".gz": gzip.compress(raw, mtime=0) for name, raw in contents.items()}
    monkeypatch.setattr(data, "SHA256", {n: hashlib.sha256(raw).hexdigest() for n, raw in contents.items()})
    return contents


def files_in(folder: Path) -> list[str]:
    """Every entry of ``folder``, hidden ones (temporary files) included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_cache_holds_exactly(cache: Path, contents: dict[str, bytes], names: list[str]) -> None:
    assert files_in(cache) == sorted(n + ".gz" for n in names)
    for name in names:
        assert gzip.decompress((cache / (name + ".gz")).read_bytes()) == contents[name]


def assert_split_is(split: str, contents: dict[str, bytes]) -> None:
    images, labels = load_split(split)
    img_name, lab_name = data.FILES[split]
    assert images.flatten().tolist() == list(contents[img_name][16:])
    assert labels.tolist() == list(contents[lab_name][8:])


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there once the socket is closed


# ---- it works ----

@pytest.mark.skipif(not DEBIAN.is_dir(), reason="needs Debian's dataset-fashion-mnist to serve")
def test_the_real_files_download_into_the_cache_and_load_like_debians_copy(env, cache, server, capsys):
    server.files = {name + ".gz": (DEBIAN / (name + ".gz")).read_bytes() for name in NAMES}
    images, labels = load_split("train")  # no data anywhere: find_data_dir downloads it
    assert files_in(cache) == sorted(n + ".gz" for n in NAMES)
    assert sorted(server.requests) == sorted(n + ".gz" for n in NAMES)
    debian_images, debian_labels = load_split("train", DEBIAN)
    assert images.shape == (60000, 28, 28)
    assert torch.equal(images, debian_images) and torch.equal(labels, debian_labels)
    assert all(torch.equal(a, b) for a, b in zip(load_split("test"), load_split("test", DEBIAN), strict=True))
    err = capsys.readouterr().err
    assert "Fashion-MNIST" in err and server.url in err and str(cache) in err and "30 MB" in err


def test_the_download_prints_one_line_and_happens_only_once(small, cache, server, capsys):
    assert find_data_dir() == cache
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and server.url in lines[0] and str(cache) in lines[0]
    assert_cache_holds_exactly(cache, small, NAMES)
    assert len(server.requests) == 4
    assert_split_is("train", small)
    assert_split_is("test", small)
    _, labels = load_split("train")  # the tasks find the downloaded files too
    source = source_task(n_train=None, n_valid=None)
    assert len(source.train_y) == sum(int(lab) in SOURCE_CLASSES for lab in labels)
    assert len(server.requests) == 4 and capsys.readouterr().err == ""  # read from the cache


def test_download_fetches_only_the_missing_files(small, cache, server):
    cache.mkdir(parents=True)
    (cache / "train-labels-idx1-ubyte").write_bytes(small["train-labels-idx1-ubyte"])  # not gzipped
    assert data.download() == cache
    assert sorted(server.requests) == sorted(n + ".gz" for n in NAMES if n != "train-labels-idx1-ubyte")
    assert_split_is("train", small)


# ---- a bad download: a clear error, nothing kept, and the next try works ----

@pytest.mark.parametrize("fault, says", [
    ("cut short, full length announced", "announced {size} bytes (Content-Length) but {half} arrived"),
    ("cut short, cut length announced", "({half} bytes) fails to decompress"),  # gzip: end of stream
    ("cut short, no length announced", "({half} bytes) fails to decompress"),
    ("damaged, still decompresses", "CRC check failed"),
    ("damaged, does not decompress", "invalid block type"),
])
def test_a_bad_download_raises_keeps_nothing_of_it_and_the_next_try_works(small, cache, server, fault, says):
    server.faults[BROKEN + ".gz"] = fault
    with pytest.raises(DownloadError) as err:
        load_split("train")
    msg = str(err.value)
    assert isinstance(err.value, ValueError)
    assert BROKEN + ".gz" in msg and "run again" in msg
    size = len(server.files[BROKEN + ".gz"])
    assert says.format(size=size, half=size // 2) in msg
    # the two files fetched before it are kept, complete; of the broken one nothing, no temporary file
    assert_cache_holds_exactly(cache, small, NAMES[:2])
    server.faults.clear()
    server.requests.clear()
    assert_split_is("test", small)
    assert server.requests == [n + ".gz" for n in NAMES[2:]]
    assert_cache_holds_exactly(cache, small, NAMES)


def test_a_valid_gzip_of_other_content_is_refused_by_the_checksum(small, cache, server):
    wrong = bytearray(small[BROKEN])
    wrong[1000] ^= 0xFF  # one pixel of one image, gzipped anew: its CRC matches, only the checksum can tell
    server.files[BROKEN + ".gz"] = gzip.compress(bytes(wrong), mtime=0)
    with pytest.raises(DownloadError) as err:
        find_data_dir()
    msg = str(err.value)
    assert BROKEN + ".gz" in msg and "run again" in msg
    assert data.SHA256[BROKEN] in msg and hashlib.sha256(bytes(wrong)).hexdigest() in msg
    assert_cache_holds_exactly(cache, small, NAMES[:2])
    server.files[BROKEN + ".gz"] = gzip.compress(small[BROKEN])
    assert find_data_dir() == cache
    assert_cache_holds_exactly(cache, small, NAMES)


def test_the_real_checksums_refuse_other_data(env, cache, server):
    server.files = {name + ".gz": gzip.compress(raw) for name, raw in small_dataset().items()}
    with pytest.raises(DownloadError, match=data.SHA256[NAMES[0]]):
        find_data_dir()
    assert files_in(cache) == []


# ---- no download: one clear error ----

def assert_offline_error(msg: str, env: Path, cache: Path) -> None:
    assert "LECNOTES_DATA" in msg and "apt-get install dataset-fashion-mnist" in msg
    assert "python -m lecnotes.data --download" in msg and "LECNOTES_DOWNLOAD" in msg
    assert str(cache) in msg and str(env / "empty-debian") in msg  # where it looked


@pytest.mark.parametrize("load", [find_data_dir, target_task, source_task, lambda: load_split("test")])
def test_download_off_and_no_data_raise_one_error_naming_both_ways(small, env, cache, server, monkeypatch,
                                                                    load):
    monkeypatch.setenv("LECNOTES_DOWNLOAD", "0")
    with pytest.raises(FileNotFoundError) as err:
        load()
    assert_offline_error(str(err.value), env, cache)
    assert "LECNOTES_DOWNLOAD=0" in str(err.value)
    assert server.requests == [] and files_in(cache) == []


@pytest.mark.parametrize("where", ["a closed port", "a server without the files"])
def test_an_unreachable_download_gives_the_offline_error_caused_by_the_network_error(
        env, cache, server, monkeypatch, where):
    if where == "a closed port":
        monkeypatch.setenv("LECNOTES_DATA_URL", closed_port_url())
    with pytest.raises(FileNotFoundError) as err:
        target_task()
    assert_offline_error(str(err.value), env, cache)
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    if where == "a server without the files":
        assert "404" in str(err.value)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


# ---- a mistyped LECNOTES_DATA is reported, never replaced by another copy ----

@pytest.mark.parametrize("mistake, says", [
    ("a missing path", "does not exist"),
    ("a file", "is a file, not a folder"),
    ("an empty folder", "without 4 of the four IDX files"),
    ("a folder with the training files only", "without 2 of the four IDX files: t10k-images"),
])
def test_a_mistyped_lecnotes_data_raises_naming_it(small, env, cache, server, monkeypatch, mistake, says):
    cache.mkdir(parents=True)
    for name, raw in small.items():  # a good copy that must not be used instead
        (cache / name).write_bytes(raw)
    given = env / "my-data"
    if mistake == "a file":
        given.write_bytes(small[NAMES[0]])
    elif mistake != "a missing path":
        given.mkdir()
        if mistake == "a folder with the training files only":
            for name in data.FILES["train"]:
                (given / name).write_bytes(small[name])
    monkeypatch.setenv("LECNOTES_DATA", str(given))
    with pytest.raises(FileNotFoundError) as err:
        target_task()
    msg = str(err.value)
    assert f"LECNOTES_DATA is '{given}'" in msg and says in msg
    assert server.requests == []
    monkeypatch.delenv("LECNOTES_DATA")
    assert find_data_dir() == cache  # the copy it refused to switch to silently


# ---- settings and the command line ----

def test_a_bad_lecnotes_download_value_is_refused(small, monkeypatch):
    monkeypatch.setenv("LECNOTES_DOWNLOAD", "maybe")
    with pytest.raises(ValueError, match=r"LECNOTES_DOWNLOAD is 'maybe'; allowed: 0 .* or 1"):
        find_data_dir()


@pytest.mark.parametrize("url", ["127.0.0.1:8000/", "ftp://example.org/fashion/", "/srv/fashion"])
def test_a_lecnotes_data_url_that_is_not_http_is_refused(small, server, monkeypatch, url):
    monkeypatch.setenv("LECNOTES_DATA_URL", url)
    with pytest.raises(ValueError, match="LECNOTES_DATA_URL is .* http:// or https://"):
        find_data_dir()
    assert server.requests == []


def test_the_command_line_checks_without_downloading_and_downloads_when_asked(small, cache, server,
                                                                               monkeypatch, capsys):
    monkeypatch.setenv("LECNOTES_DOWNLOAD", "0")  # --download is an explicit request: it still downloads
    assert data.main([]) == 1
    assert "--download" in capsys.readouterr().err and server.requests == []
    server.faults[BROKEN + ".gz"] = "damaged, does not decompress"
    assert data.main(["--download"]) == 1
    assert BROKEN + ".gz" in capsys.readouterr().err
    server.faults.clear()
    assert data.main(["--download"]) == 0
    assert str(cache) in capsys.readouterr().out
    assert_cache_holds_exactly(cache, small, NAMES)
