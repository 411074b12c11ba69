"""Start the class hub of ``jupyterhub_config.py`` on this machine: ``make hub``.

It makes what the hub expects and then runs JupyterHub in the foreground (Ctrl-C stops it and
every user's server):

* a state folder, ``_build/hub/`` (the hub's database, cookie secret, and the users' homes
  when not run as root);
* nbgrader's exchange folder in it, writable by everyone with the sticky bit (mode 1777);
* as root, the Unix users ``l4-instructor``, ``l4-student1`` and ``l4-student2`` if they are
  missing (TLJH, too, makes one Unix user per hub user); they stay until you remove them
  (``userdel -r NAME``);
* the course in the instructor's home folder, ``~/lesson4-annotated/chapters/assignments``
  (the assignment sources and the course's ``nbgrader_config.py``), unless it is there.

It prints the address and the password (the same for every user: the dummy authenticator of a
try-out). ``tests/browser/test_hub_walk.py`` uses the same helpers with users, ports and folders
of its own.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
COURSE = HERE.parent  # chapters/assignments
CONFIG = HERE / "jupyterhub_config.py"
PROXY = Path(sys.prefix) / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_IN_HOME = Path("lesson4-annotated") / "chapters" / "assignments"
# What nbgrader writes next to source/, and this folder: never copied into a home.
NOT_COPIED = ("release", "submitted", "autograded", "feedback", "gradebook.db", ".nbgrader.log",
              "hub", "*.md", ".ipynb_checkpoints", "__pycache__")


def as_root() -> bool:
    return os.geteuid() == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_exchange(folder: Path) -> Path:
    """nbgrader's exchange root: everyone may write, no one may remove what others wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o1777)
    return folder


def add_unix_user(name: str, comment: str = "lesson4 class hub") -> pwd.struct_passwd:
    """Make the Unix user ``name`` with a home folder only they can open, unless it exists."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", comment,
                        "--user-group", name], check=True, capture_output=True)
        entry = pwd.getpwnam(name)
        os.chmod(entry.pw_dir, 0o700)
        return entry


def remove_unix_user(name: str) -> None:
    """Stop every process of ``name``, then remove the user, its group and its home folder."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    for _ in range(50):
        if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode != 0:
            break
        time.sleep(0.1)
    subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)


def home_of(name: str, state: Path) -> Path:
    """The home folder the hub gives ``name`` (``jupyterhub_config.py``)."""
    return Path(pwd.getpwnam(name).pw_dir) if as_root() else state / "homes" / name


def give_course(name: str, state: Path) -> Path:
    """Copy the course into ``name``'s home (owned by them, unless already there); its folder."""
    home = home_of(name, state)
    course = home / COURSE_IN_HOME
    if not course.exists():
        shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*NOT_COPIED))
        if as_root():
            entry = pwd.getpwnam(name)
            for path in [home / COURSE_IN_HOME.parts[0], *(home / COURSE_IN_HOME.parts[0]).rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    return course


def hub_env(state: Path, instructor: str, students: Iterable[str], password: str,
            ports: Mapping[str, int] | None = None, exchange: Path | None = None,
            extra: Mapping[str, str] | None = None) -> dict:
    """The environment ``jupyterhub_config.py`` reads, over this process's own.

    ``exchange`` defaults to ``state/exchange``; ``extra`` adds to (or overrides) the rest.
    """
    ports = ports or {"LESSON4_HUB_PORT": 8080, "LESSON4_HUB_API_PORT": 8081, "LESSON4_PROXY_API_PORT": 8082}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPLBACKEND"))}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(LESSON4_HUB_STATE=str(state), LESSON4_HUB_INSTRUCTOR=instructor,
               LESSON4_HUB_STUDENTS=" ".join(students), LESSON4_HUB_PASSWORD=password,
               LESSON4_EXCHANGE=str(exchange or state / "exchange"),
               LESSON4_PROXY_TOKEN=secrets.token_hex(16),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra or {})
    return env


def start_hub(state: Path, env: Mapping[str, str], log: Path | None = None) -> subprocess.Popen:
    """Run JupyterHub with the class configuration, in ``state``.

    With a ``log``, its output goes there and it runs in a process group of its own (the tests
    stop the group); without, it writes to this terminal and Ctrl-C reaches it too.
    """
    if not PROXY.exists():
        raise FileNotFoundError(f"no configurable-http-proxy at {PROXY}: run `make setup` "
                                "(scripts/get-hub.sh installs it)")
    cmd = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)]
    if log is None:
        return subprocess.Popen(cmd, cwd=state, env=dict(env))
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=state, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_for_hub(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the hub answers its health check through the proxy at ``url``."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/hub/health", timeout=2):
                return
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterHub did not answer at {url} in {timeout:.0f} s") from None
            time.sleep(0.2)


def main() -> int:
    state = ROOT / "_build" / "hub"
    state.mkdir(parents=True, exist_ok=True)
    make_exchange(state / "exchange")
    instructor, students = "l4-instructor", ["l4-student1", "l4-student2"]
    if as_root():
        for name in (instructor, *students):
            add_unix_user(name)
    give_course(instructor, state)
    password = secrets.token_urlsafe(9)
    env = hub_env(state, instructor, students, password)
    print(f"The class hub: http://127.0.0.1:{env['LESSON4_HUB_PORT']}/  users {instructor} (instructor), "
          f"{', '.join(students)}; password {password}  (Ctrl-C stops it)", flush=True)
    proc = start_hub(state, env)
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())  # stopped by a kill: stop the hub too
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # the hub got the Ctrl-C as well and is stopping its servers
            continue


if __name__ == "__main__":
    raise SystemExit(main())
