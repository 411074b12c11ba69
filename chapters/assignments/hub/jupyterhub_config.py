"""JupyterHub 6 for a class of the book on one machine: an instructor, students, nbgrader, nbgitpuller.

``make hub`` starts it on http://127.0.0.1:8080 (``classroom.py``), and the browser test
``tests/browser/test_hub_walk.py`` walks a whole class through it. ``instructors.md``
explains every setting below; what a real class changes is marked there (the authenticator,
the address, the exchange folder).

Settings that differ between a run and another come from environment variables that
``classroom.py`` sets (ports, the state folder, the users, the password). When JupyterHub
runs as root, every hub user is the Unix user of the same name and their server runs as
that user, as The Littlest JupyterHub does; otherwise every server runs as the user who
started the hub, each in a home folder of its own under the state folder (a try-out, with
no protection between users).

traitlets defines ``get_config`` and ``__file__`` while it executes this file.
"""

import os
import pwd
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
# The environment the hub runs from is the one every user's server and kernel runs from.
VENV_BIN = Path(sys.executable).parent
STATE = Path(os.environ.get("LESSON4_HUB_STATE", HERE.parents[2] / "_build" / "hub"))
INSTRUCTOR = os.environ.get("LESSON4_HUB_INSTRUCTOR", "instructor")
STUDENTS = os.environ.get("LESSON4_HUB_STUDENTS", "student1 student2").split()
AS_UNIX_USERS = os.geteuid() == 0

# -- Where the hub listens: the proxy for browsers, the hub's own API, the proxy's API.
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ.get('LESSON4_HUB_PORT', '8080')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('LESSON4_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('LESSON4_PROXY_API_PORT', '8082')}"
# configurable-http-proxy from the npm registry, installed into the venv by scripts/get-hub.sh
c.ConfigurableHTTPProxy.command = [str(VENV_BIN.parent / "hub-proxy" / "node_modules" / ".bin"
                                       / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.auth_token = os.environ.get("LESSON4_PROXY_TOKEN", "")
c.ConfigurableHTTPProxy.debug = False

# -- The hub's own files: its database and the secret that signs its cookies.
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server
# A link into a user's server that is not running (the launch button's) starts it after a second,
# instead of showing a page with a start button.
c.JupyterHub.implicit_spawn_seconds = 1

# -- Who may log in. The dummy authenticator takes one shared password: for tests and try-outs
# only. A real class uses TLJH's default (FirstUseAuthenticator) or OAuth (instructors.md).
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["LESSON4_HUB_PASSWORD"]
c.Authenticator.allow_all = False
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}
c.Authenticator.admin_users = set()  # no one may enter another user's server, the instructor neither

# -- Each user's server: JupyterLab from this environment, on the loopback interface.
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",  # nbgrader runs alembic from here
    "LESSON4_EXCHANGE": os.environ.get("LESSON4_EXCHANGE", str(STATE / "exchange")),
    "LECNOTES_PROGRESS": "0",  # nbgrader gives zero to a test cell that writes to stderr
}
# The share of the cores the hub was given, if any (the test suite's workers set it): kernels take
# it as their number of torch threads (lecnotes reads LECNOTES_THREADS).
c.Spawner.env_keep = ["JUPYTERHUB_SINGLEUSER_APP", "LECNOTES_THREADS", "OMP_WAIT_POLICY"]
if os.environ.get("LESSON4_HUB_GITCONFIG"):
    # The tests' offline stand-in for github.com: a git configuration file, read by the users'
    # git in place of their own, that sends github.com's addresses to bare clones on this machine.
    c.Spawner.environment["GIT_CONFIG_GLOBAL"] = os.environ["LESSON4_HUB_GITCONFIG"]


def by_role(spawner) -> None:
    """The instructor's and the students' configuration folders, in front of the environment's."""
    role = "instructor" if spawner.user.name == INSTRUCTOR else "students"
    # a new dict: the configured one is shared by every user's spawner
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": os.pathsep.join(
        [str(HERE / role), str(HERE / "everyone")])}


c.Spawner.pre_spawn_hook = by_role


if AS_UNIX_USERS:
    for name in (INSTRUCTOR, *STUDENTS):
        pwd.getpwnam(name)  # a KeyError here: the Unix user is missing (classroom.py makes them)
else:  # JupyterHub's spawner for try-outs: every server as this user, in a home folder of its own
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
