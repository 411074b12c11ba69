"""A class on a real JupyterHub, walked in Chromium: launch link, fetch, submit, grade, feedback.

The hub is the book's own class hub (``chapters/assignments/hub/jupyterhub_config.py``, as
``make hub`` starts it): JupyterHub 6 behind configurable-http-proxy on 127.0.0.1, on free
ports chosen now, with an instructor and two students, nbgrader's lab extensions (the
Assignment List for everyone, the Formgrader for the instructor only) and nbgitpuller.
The test logs in with the dummy authenticator the configuration uses for try-outs.

Run as root (as the test machines and CI do), every hub user is a real Unix user, made for
this test with ``useradd`` (``l4t-<random>-teach``, ``-ada``, ``-bob``) and removed with
their home folders afterwards, even when the test fails, as TLJH makes one Unix user per hub
user. Their servers and kernels run as those users from the project's venv. Where the venv's
Python lives in a folder those users cannot enter (``/root``, with pyenv), the test grants
them the right to pass through that folder alone (a POSIX ACL entry, ``--x``) and takes it
back afterwards. Not as root, the servers run as the one user in separate home folders, and
the Unix-permission checks are skipped: they would prove nothing.

The walk (screenshots in ``_build/hub-walk/``, numbered by step):

1. The instructor logs in and, in the Formgrader, generates and releases ``a1_custom_head``
   and ``a3_choosing_p``.
2. Student ada opens chapter 1 of a small copy of the book built with ``jupyterhub_url`` set
   to this hub (tests/browser/test_jupyterhub_link.py's copy) and follows its JupyterHub
   button. The link names the book's GitHub repository; the students' git is pointed (with
   ``url.<mirror>.insteadOf``) at a bare clone of this checkout's HEAD on this machine, served
   over file://, so nbgitpuller clones that. JupyterLab opens notebooks/01_custom_head.ipynb and
   the test runs its first cells there.
3. Ada and bob each open the Assignment List, fetch a1 and answer one task in the notebook
   (ada task 1, 3 points; bob task 2, 2 points); both press Submit at the same moment.
4. The instructor collects in the Formgrader, autogrades each submission from its Manage
   Submissions page, and generates and releases the feedback: every step in the Formgrader UI.
5. Each student fetches their feedback in the Assignment List and opens it: their own score,
   not the other's, and none of the other's answer.

Then who may see what (``test_who_may_see_what``), checked as the Unix users themselves and
through the hub: a student's request for the Formgrader gets 404 on their own server (the
Formgrader server extension is not loaded for students: there is no such page to serve) and
403 on the instructor's (the hub refuses to let one user into another's server); a student can
neither list the exchange's inbound folder (so cannot learn the secret, random names of other
students' submissions) nor its feedback folder, nor open another student's home (their fetched
assignment and feedback) or the instructor's (the course and gradebook); the instructor can do
all of these.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import nbformat
import pytest
from kernelenv import kernel_env
from playwright.sync_api import Error as PlaywrightError
from sitehost import serve
from sitekit import ROOT, dismiss, repository
from test_jupyterhub_link import CHAPTER, small_book, switched_on_config

pytestmark = pytest.mark.long  # a hub, three users' servers and a grading run

HUB = ROOT / "chapters" / "assignments" / "hub"
_spec = importlib.util.spec_from_file_location("classroom", HUB / "classroom.py")
classroom = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(classroom)

SHOTS = ROOT / "_build" / "hub-walk"
ASSIGNMENT, ALSO_RELEASED = "a1_custom_head", "a3_choosing_p"
# Each student answers one task of a1 with the reference solution: (answer cell, its points).
ANSWERS = {"ada": ("a1-concat-pool", 3), "bob": ("a1-shape-changes", 2)}
POINTS = 8  # a1's total
USER_MARK = "lesson4 hub walk"  # the comment of the Unix users this test makes, with its pid
STEP_TIMEOUT = 120_000  # ms: a server's start, a clone, a grading run, on a busy machine
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
KERNEL_IDLE = f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]'


@dataclass
class Class:
    """The running class: hub address, users, folders, and what the walk saw."""

    url: str
    password: str
    users: dict[str, str]  # role (teach, ada, bob) -> hub and Unix user name
    unix: bool
    tmp: Path
    exchange: Path
    state: Path
    log: Path
    mirrored: str  # the commit nbgitpuller finds
    book: tuple  # the small book's folder and its build, running
    seen: dict = field(default_factory=dict)

    def home(self, role: str) -> Path:
        return classroom.home_of(self.users[role], self.state)


# -- set-up and clean-up -----------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _blocked_folders(*more: Path) -> list[Path]:
    """Folders on the way to the venv's Python, the repository and ``more`` that others cannot enter."""
    targets = [Path(sys.executable).resolve(), Path(sys.prefix), ROOT, *more]
    blocked = set()
    for target in targets:
        for folder in target.parents:
            if not folder.stat().st_mode & 0o001:
                blocked.add(folder)
    return sorted(blocked)


def _grant_passage(folders: list[Path], names: list[str], grant: bool) -> None:
    if not folders:
        return
    setfacl = shutil.which("setfacl")
    if setfacl is None:
        pytest.fail(f"{folders} cannot be entered by other users and setfacl is missing: "
                    "`make setup` (scripts/get-hub.sh) installs Debian's acl package")
    for folder in folders:
        for name in names:
            args = ["-m", f"u:{name}:x"] if grant else ["-x", f"u:{name}"]
            subprocess.run([setfacl, *args, str(folder)], check=grant, capture_output=True)
        if not grant:  # no one else's entry left: drop the mask too, the folder is as it was
            acl = subprocess.run(["getfacl", "-cp", str(folder)], capture_output=True, text=True).stdout
            if not re.search(r"^(user|group):[^:]+:", acl, re.M):
                subprocess.run([setfacl, "-b", str(folder)], capture_output=True)


def _remove_stale_users() -> None:
    """Users of an earlier run of this test whose pytest process is gone (killed mid-run)."""
    for entry in pwd.getpwall():
        match = re.fullmatch(rf"{USER_MARK} (\d+)", entry.pw_gecos)
        if match and entry.pw_name.startswith("l4t-") and not _alive(int(match[1])):
            _grant_passage(_blocked_folders(), [entry.pw_name], grant=False)
            classroom.remove_unix_user(entry.pw_name)


def _mirror(folder: Path) -> tuple[Path, str]:
    """A bare clone of this checkout's HEAD where the book's repository URL points, over file://.

    Returns the commit, and a git configuration file that sends ``https://github.com/`` there, for the users'
    git (``GIT_CONFIG_GLOBAL``: git passes no configuration from the environment on to the
    other end of a file:// fetch, and that end must be told to trust a repository of root's).
    """
    url, branch = repository()
    bare = folder / urlsplit(url).path.strip("/")
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "fetch", "--quiet", "--depth=1", f"file://{ROOT}",
                    f"+HEAD:refs/heads/{branch}"], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(bare), "symbolic-ref", "HEAD", f"refs/heads/{branch}"], check=True)
    mirrored = subprocess.run(["git", "-C", str(bare), "rev-parse", branch], capture_output=True,
                              text=True, check=True).stdout.strip()
    config = folder / "gitconfig"
    config.write_text(f'[url "file://{folder}/"]\n\tinsteadOf = https://github.com/\n'
                      f"[safe]\n\tdirectory = {bare}\n")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return config, mirrored


def _stop(proc: subprocess.Popen) -> None:
    """Stop the hub (it stops the users' servers and the proxy), then its whole process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def hub_class(tmp_path_factory):
    """The class hub with its users, a book copy whose button points at it; yields a Class."""
    unix = classroom.as_root()
    tmp = Path(tempfile.mkdtemp(prefix="l4t-hub-"))  # not pytest's folder: the users must enter it
    tmp.chmod(0o711)
    state = tmp / "hub"  # the hub's database and secret: root's alone
    state.mkdir(mode=0o700)
    exchange = classroom.make_exchange(tmp / "exchange")
    mirror = tmp / "mirror"
    mirror.mkdir()
    tag = secrets.token_hex(3)
    users = {role: f"l4t-{tag}-{role}" for role in ("teach", "ada", "bob")}
    blocked = _blocked_folders(tmp) if unix else []
    proc = book = None
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    log = SHOTS / "jupyterhub.log"
    log.unlink(missing_ok=True)
    try:
        if unix:
            _remove_stale_users()
            for name in users.values():
                classroom.add_unix_user(name, comment=f"{USER_MARK} {os.getpid()}")
            _grant_passage(blocked, list(users.values()), grant=True)
        else:
            (state / "homes").mkdir()
        classroom.give_course(users["teach"], state)
        ports = {name: classroom.free_port()
                 for name in ("LESSON4_HUB_PORT", "LESSON4_HUB_API_PORT", "LESSON4_PROXY_API_PORT")}
        password = secrets.token_urlsafe(12)
        gitconfig, mirrored = _mirror(mirror)
        env = classroom.hub_env(state, users["teach"], [users["ada"], users["bob"]], password, ports,
                                exchange=exchange, extra={"LESSON4_HUB_GITCONFIG": str(gitconfig)})
        url = f"http://127.0.0.1:{ports['LESSON4_HUB_PORT']}"
        book = _build_book(tmp_path_factory.mktemp("hubwalkbook") / "book", url)  # meanwhile
        proc = classroom.start_hub(state, env, log)
        try:
            classroom.wait_for_hub(url, proc)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"{exc}:\n{log.read_text()[-4000:]}")
        yield Class(url=url, password=password, users=users, unix=unix, tmp=tmp,
                    exchange=exchange, state=state, log=log, mirrored=mirrored, book=book)
    finally:
        if book is not None and book[1].poll() is None:
            book[1].kill()
            book[1].wait()
        if unix:  # their servers first: the hub then has nothing left to wait for
            for name in users.values():
                subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        if proc is not None:
            _stop(proc)
        if unix:
            _grant_passage(blocked, list(users.values()), grant=False)  # while the names exist
            for name in users.values():
                classroom.remove_unix_user(name)
        shutil.rmtree(tmp, ignore_errors=True)


def _build_book(folder: Path, hub_url: str) -> tuple[Path, subprocess.Popen]:
    """Start building the small book with ``jupyterhub_url`` set to ``hub_url``; (folder, build)."""
    config, sample = switched_on_config()
    book = small_book(folder, config.replace(sample, hub_url))
    jb = Path(sys.executable).with_name("jupyter-book")
    with open(folder.parent / "build.log", "w") as log:  # the build keeps its own copy open
        return book, subprocess.Popen([str(jb), "build", str(book)], stdout=log,
                                      stderr=subprocess.STDOUT, env=kernel_env())


@pytest.fixture(scope="module")
def book_page(hub_class):
    """The small book built with ``jupyterhub_url`` set to this hub, served; chapter 1's URL."""
    book, build = hub_class.book
    code = build.wait(timeout=300)
    log = (book.parent / "build.log").read_text()
    assert code == 0, log[-5000:]
    with serve(book / "_build" / "html") as url:
        yield f"{url}/chapters/{CHAPTER}.html"


# -- the browser side ----------------------------------------------------------------------

def _shot(page, name: str) -> None:
    _dismiss(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _dismiss(page) -> None:
    """Close JupyterLab's toasts (the news question) so that they cover nothing."""
    dismiss(page, ".jp-Notification-Toast-Close")


def _context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900})


def _log_in(page, cls: Class, role: str) -> None:
    """On the hub's login page (where any link of the hub sends a visitor), log in as ``role``."""
    page.wait_for_selector("input[name=username]", timeout=STEP_TIMEOUT)
    page.fill("input[name=username]", cls.users[role])
    page.fill("input[name=password]", cls.password)
    page.click("input[type=submit], button[type=submit]")


def _log_in_to(page, cls: Class, role: str, path: str) -> None:
    """Log in as ``role`` on the hub's login page, asking for ``path`` in their own server.

    Returns once the form is sent: the server starts and the page loads meanwhile.
    """
    page.goto(f"{cls.url}/hub/login?next={quote(f'/user/{cls.users[role]}/{path}', safe='')}")
    _log_in(page, cls, role)


def _wait_lab(page) -> None:
    page.get_by_role("menuitem", name="Nbgrader").wait_for(timeout=STEP_TIMEOUT)
    _dismiss(page)


def _menu(page, menu: str, item: str) -> None:
    """Choose ``item`` from JupyterLab's main menu ``menu``."""
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def _formgrader(page, cls: Class) -> None:
    """Open the instructor's Formgrader's assignments, in a tab of its own."""
    page.goto(f"{cls.url}/user/{cls.users['teach']}/formgrader/manage_assignments")
    page.wait_for_selector("#main-table td.name", timeout=STEP_TIMEOUT)


def _formgrader_button(page, row_text: str, cell: str, icon: str, table: str = "#main-table") -> str:
    """Press the Formgrader's ``icon`` button in column ``cell`` of the row of ``row_text``.

    Waits for the dialog it opens, closes it and returns its text; fails on an error dialog.
    """
    row = page.locator(f"{table} tr", has=page.locator("td", has_text=row_text))
    row.locator(f"td.{cell} a:has(.{icon})").click()
    page.wait_for_selector("#success-modal, #error-modal", timeout=STEP_TIMEOUT)
    text = page.inner_text(".modal-body")
    failed = page.locator("#error-modal").count()
    page.locator(".modal-footer button").click()
    page.wait_for_selector(".modal", state="detached", timeout=30_000)
    assert not failed, f"the Formgrader's {cell} of {row_text} failed:\n{text[-3000:]}"
    return text


def _assignment_list(page, menu: list | None = None):
    """Open Nbgrader > Assignment List in the student's JupyterLab; the panel.

    ``menu``, when given, receives the items of the Nbgrader menu.
    """
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    item = page.get_by_role("menuitem", name="Assignment List", exact=True)
    item.wait_for(timeout=30_000)
    if menu is not None:
        menu.extend(page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts())
    item.click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.wait_for(timeout=STEP_TIMEOUT)
    return panel


def _row(panel, section: str, text: str):
    return panel.locator(f"#{section}_assignments_list > .list_item", has_text=text)


def _answer(source_cell: nbformat.NotebookNode) -> str:
    """The reference solution of an answer cell, without nbgrader's markers."""
    return "\n".join(line for line in source_cell.source.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def _source_cells() -> dict[str, nbformat.NotebookNode]:
    nb = nbformat.read(ROOT / "chapters" / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                       as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def _answer_in_lab(page, panel, role: str) -> None:
    """Open the fetched notebook from the Assignment List, type one answer, save."""
    grade_id, _ = ANSWERS[role]
    cell = _source_cells()[grade_id]
    first_line = cell.source.splitlines()[0]  # "def ...(...):", kept in the student version
    _row(panel, "fetched", ASSIGNMENT).locator(".item_name a").first.click()  # unfolds its notebooks
    panel.locator(".nested_list_item .item_name a", has_text=ASSIGNMENT).click()
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-CodeCell:has-text('{first_line}')",
                           timeout=STEP_TIMEOUT)
    target = page.locator(f"{PANEL} .jp-CodeCell", has_text=first_line)
    target.scroll_into_view_if_needed()
    editor = target.locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(_answer(cell))
    page.keyboard.press("ControlOrMeta+s")
    page.wait_for_function(
        "(sel) => !document.querySelector(sel).classList.contains('jp-mod-dirty')",
        arg=".lm-DockPanel-tabBar .lm-mod-current", timeout=30_000)


# -- the walk ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def walked(hub_class, book_page, browser):
    """Steps 1 to 5; returns what the test checks afterwards (as cls.seen)."""
    cls = hub_class
    seen = cls.seen
    seen["seconds"] = {}
    started = time.monotonic()

    def lap(step: str) -> None:
        seen["seconds"][step] = round(time.monotonic() - started, 1)
    teach, ada, bob = (_context(browser) for _ in range(3))
    try:
        # All three log in at once, so that their servers start side by side: the instructor to
        # the Formgrader, bob to his JupyterLab, ada through the book's JupyterHub button.
        fg = teach.new_page()
        _log_in_to(fg, cls, "teach", "formgrader/manage_assignments")
        b = bob.new_page()
        _log_in_to(b, cls, "bob", "lab")
        a = ada.new_page()
        a.goto(book_page)
        link = a.eval_on_selector("a[href*='/git-pull?']", "e => e.href")
        seen["launch_link"] = link
        assert link.startswith(f"{cls.url}/hub/user-redirect/git-pull?"), link
        visited, kernel_sockets = [], []
        a.on("framenavigated", lambda frame: visited.append(frame.url) if frame == a.main_frame else None)
        a.on("websocket", lambda ws: kernel_sockets.append(ws.url) if "/api/kernels/" in ws.url else None)
        a.goto(link)
        _log_in(a, cls, "ada")
        try:  # nbgitpuller's page shows while it clones: a second or two
            a.wait_for_url(re.compile(r".*/user/[^/]+/git-pull\?.*"), timeout=STEP_TIMEOUT)
            _shot(a, "2a-student-nbgitpuller")
        except PlaywrightError:
            pass  # gone already; `visited` still shows it

        # 1. The instructor releases a1 and a3 in the Formgrader.
        fg.wait_for_selector("#main-table td.name", timeout=STEP_TIMEOUT)
        seen["formgrader_status"] = fg.goto(
            f"{cls.url}/user/{cls.users['teach']}/formgrader/manage_assignments").status
        fg.wait_for_selector("#main-table td.name", timeout=STEP_TIMEOUT)
        for name in (ASSIGNMENT, ALSO_RELEASED):
            _formgrader_button(fg, name, "assign", "glyphicon-education")
            _formgrader_button(fg, name, "release", "glyphicon-cloud-upload")
        for name in (ASSIGNMENT, ALSO_RELEASED):
            row = fg.locator("#main-table tr", has=fg.locator("td.name", has_text=name))
            assert row.locator("td.status").inner_text().strip() == "released", name
        _shot(fg, "1-instructor-formgrader-released")
        lap("1 released")

        # 2. Ada's JupyterLab opened the chapter that nbgitpuller pulled.
        a.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=STEP_TIMEOUT)
        seen["lab_url"] = a.url
        seen["clone_head"] = subprocess.run(  # before the student's save changes the chapter
            ["git", "-c", "safe.directory=*", "-C", str(cls.home("ada") / "lesson4-annotated"),
             "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        seen["visited"] = visited
        tab = a.inner_text(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")
        seen["tab"] = tab
        assert tab == f"{CHAPTER}.ipynb", tab
        _shot(a, "2b-student-chapter-opened")
        # Run the first cells (install check, set-up, the data) from the Run menu, once the
        # kernel is connected: JupyterLab shows the kernel idle a moment before its websocket is
        # open, and a run asked for in that moment is lost.
        a.wait_for_selector(KERNEL_IDLE, timeout=STEP_TIMEOUT)
        deadline = time.monotonic() + STEP_TIMEOUT / 1000
        while not kernel_sockets and time.monotonic() < deadline:
            a.wait_for_timeout(100)
        assert kernel_sockets, "JupyterLab opened no websocket to the chapter's kernel"
        a.wait_for_timeout(500)
        _dismiss(a)
        data_cell = a.locator(f"{PANEL} .jp-CodeCell", has_text="data = L.target_task()")
        # Select the cell after it (the figure's), run all cells above.
        a.locator(f"{PANEL} .jp-CodeCell", has_text="per_class = ").locator(".jp-InputPrompt").click()
        _menu(a, "Run", "Run All Above Selected Cell")
        data_cell.locator(".jp-InputPrompt", has_text=re.compile(r"\[\d+\]")).wait_for(timeout=STEP_TIMEOUT)
        a.wait_for_selector(KERNEL_IDLE, timeout=STEP_TIMEOUT)
        a.keyboard.press("ControlOrMeta+s")  # the student saves: the run's counts go to the file
        a.wait_for_function("(sel) => !document.querySelector(sel).classList.contains('jp-mod-dirty')",
                            arg=".lm-DockPanel-tabBar .lm-mod-current", timeout=30_000)
        saved = nbformat.read(cls.home("ada") / "lesson4-annotated" / "notebooks" / f"{CHAPTER}.ipynb",
                              as_version=4)
        seen["first_cells_counts"] = [c.execution_count for c in saved.cells if c.cell_type == "code"][:4]
        seen["first_cells_output"] = data_cell.locator(".jp-OutputArea").inner_text()
        seen["first_cells_errors"] = a.locator(
            f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
            f"{PANEL} .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").all_inner_texts()
        data_cell.scroll_into_view_if_needed()
        _shot(a, "2c-student-first-cells-run")
        lap("2 chapter run")

        # 3. Both students fetch a1, answer one task each, and submit at the same moment.
        _wait_lab(b)
        panels = {}
        seen["student_menu"] = []
        for role, page in (("ada", a), ("bob", b)):
            panel = _assignment_list(page, seen["student_menu"] if role == "bob" else None)
            _row(panel, "released", ASSIGNMENT).get_by_role("button", name="Fetch").click()
            _row(panel, "fetched", ASSIGNMENT).wait_for(timeout=STEP_TIMEOUT)
            panels[role] = panel
        _shot(a, "3a-student-assignment-list-fetched")
        for role, page in (("ada", a), ("bob", b)):
            _answer_in_lab(page, panels[role], role)
        _shot(a, "3b-student-answered")
        for role, page in (("ada", a), ("bob", b)):
            panels[role] = _assignment_list(page)
        for role in ("ada", "bob"):  # both clicks go out before either submission is done
            _row(panels[role], "fetched", ASSIGNMENT).get_by_role("button", name="Submit").click()
        for role in ("ada", "bob"):
            _row(panels[role], "submitted", ASSIGNMENT).wait_for(timeout=STEP_TIMEOUT)
        _shot(a, "3c-student-submitted")
        lap("3 submitted")

        # 4. The instructor collects, autogrades each submission, makes and releases feedback.
        _formgrader(fg, cls)
        _formgrader_button(fg, ASSIGNMENT, "collect", "glyphicon-cloud-download")
        fg.goto(f"{cls.url}/user/{cls.users['teach']}/formgrader/manage_submissions/{ASSIGNMENT}")
        fg.wait_for_selector("#main-table td.student-id", timeout=STEP_TIMEOUT)
        for role in ("ada", "bob"):
            _formgrader_button(fg, cls.users[role], "autograde", "glyphicon-flash")
        fg.reload()
        fg.wait_for_selector("#main-table td.score", timeout=STEP_TIMEOUT)
        seen["scores"] = {role: fg.locator("#main-table tr", has=fg.locator(
            "td.student-id", has_text=cls.users[role])).locator("td.score").inner_text().strip()
            for role in ("ada", "bob")}
        _shot(fg, "4a-instructor-autograded")
        _formgrader(fg, cls)
        _formgrader_button(fg, ASSIGNMENT, "generate-feedback", "glyphicon-comment")
        _formgrader_button(fg, ASSIGNMENT, "release-feedback", "glyphicon-envelope")
        _shot(fg, "4b-instructor-feedback-released")
        lap("4 graded, feedback released")

        # 5. Each student fetches their feedback and opens it.
        seen["feedback"] = {}
        for role, page in (("ada", a), ("bob", b)):
            panel = _assignment_list(page)
            panel.locator("#refresh_assignments_list").click()
            row = _row(panel, "submitted", ASSIGNMENT)
            row.get_by_role("button", name="Fetch Feedback").click()
            row.get_by_text("(view feedback)").wait_for(timeout=STEP_TIMEOUT)
            folder = next((cls.home(role) / ASSIGNMENT / "feedback").iterdir())
            rel = folder.relative_to(cls.home(role)) / f"{ASSIGNMENT}.html"
            fb = page.context.new_page()
            response = fb.goto(f"{cls.url}/user/{cls.users[role]}/files/{rel}")
            assert response.status == 200, (role, response.status)
            seen["feedback"][role] = {"path": str(rel), "text": fb.inner_text("body"),
                                      "files": sorted(p.name for p in (cls.home(role) / ASSIGNMENT /
                                                                       "feedback").rglob("*.html"))}
            _shot(fb, f"5-{role}-feedback")
            fb.close()
        lap("5 feedback read")
        seen["other_server"] = {
            # bob asks for ada's feedback page and for the instructor's Formgrader, by address
            "bob_reads_ada_feedback": bob.request.get(
                f"{cls.url}/user/{cls.users['ada']}/files/{seen['feedback']['ada']['path']}",
                max_redirects=10).status,
            "bob_own_formgrader": bob.request.get(
                f"{cls.url}/user/{cls.users['bob']}/formgrader/manage_assignments").status,
            "bob_own_formgrader_api": bob.request.get(
                f"{cls.url}/user/{cls.users['bob']}/formgrader/api/assignments").status,
            "bob_instructor_formgrader": bob.request.get(
                f"{cls.url}/user/{cls.users['teach']}/formgrader/manage_assignments",
                max_redirects=10).status,
        }
        bf = bob.new_page()
        seen["other_server"]["bob_own_formgrader_page"] = bf.goto(
            f"{cls.url}/user/{cls.users['bob']}/formgrader").status
        _shot(bf, "6a-student-own-formgrader-404")
        seen["other_server"]["bob_instructor_formgrader_page"] = bf.goto(
            f"{cls.url}/user/{cls.users['teach']}/formgrader").status
        _shot(bf, "6b-student-instructor-formgrader-403")
        return seen
    except Exception:
        for role, ctx in (("teach", teach), ("ada", ada), ("bob", bob)):
            for n, page in enumerate(ctx.pages):
                try:
                    _shot(page, f"failed-{role}-{n}")
                except Exception:  # noqa: BLE001 (a screenshot for the report, whatever stopped)
                    pass
        print(f"hub log: {cls.log}")
        raise
    finally:
        for ctx in (teach, ada, bob):
            ctx.close()
        print(f"hub walk screenshots: {SHOTS}; seconds from the start of the walk: {seen['seconds']}")


# -- the checks ----------------------------------------------------------------------------

def test_the_launch_button_opens_chapter_1_in_the_students_jupyterlab(walked, hub_class):
    url, branch = repository()
    query = parse_qs(urlsplit(walked["launch_link"]).query)
    assert query["repo"] == [url] and query["branch"] == [branch], query  # the book's, unchanged
    assert any("/git-pull?" in url for url in walked["visited"]), walked["visited"]
    assert walked["lab_url"].endswith(f"/lab/tree/lesson4-annotated/notebooks/{CHAPTER}.ipynb"), walked
    clone = hub_class.home("ada") / "lesson4-annotated"
    pulled = clone / "notebooks" / f"{CHAPTER}.ipynb"
    assert walked["clone_head"] == hub_class.mirrored, "nbgitpuller should have cloned the mirror's HEAD"
    assert subprocess.run(["git", "-C", str(ROOT), "merge-base", "--is-ancestor", hub_class.mirrored,
                           "HEAD"]).returncode == 0, "the mirror should hold a commit of this checkout"
    if hub_class.unix:
        assert pulled.stat().st_uid == pwd.getpwnam(hub_class.users["ada"]).pw_uid
    # The install check, the set-up and the data cell ran, in order, and the data cell showed the task.
    assert walked["first_cells_counts"][:3] == [1, 2, 3], walked["first_cells_counts"]
    assert walked["first_cells_output"].strip(), walked
    assert walked["first_cells_errors"] == [], walked["first_cells_errors"]


def test_each_student_gets_their_own_score_back(walked):
    scores = walked["scores"]
    for role, (_, points) in ANSWERS.items():
        assert scores[role] == f"{points} / {POINTS}", scores
        page = walked["feedback"][role]
        assert re.search(rf"Score:\s*{points}(\.0)?\s*/\s*{POINTS}", page["text"]), page["text"][:500]
        assert page["files"] == [f"{ASSIGNMENT}.html"], page
    ada, bob = walked["feedback"]["ada"]["text"], walked["feedback"]["bob"]["text"]
    answers = {role: _answer(_source_cells()[ANSWERS[role][0]]) for role in ANSWERS}
    # The body line of each answer that only that student wrote.
    assert "torch.cat([maps.amax" in answers["ada"] and "changed.append(i)" in answers["bob"]
    assert "torch.cat([maps.amax" in ada and "torch.cat([maps.amax" not in bob
    assert "changed.append(i)" in bob and "changed.append(i)" not in ada


def test_a_student_cannot_open_the_formgrader_and_the_instructor_can(walked):
    other = walked["other_server"]
    assert walked["formgrader_status"] == 200
    # 404: the student's own server has no Formgrader (its server extension is not loaded).
    assert other["bob_own_formgrader"] == 404 and other["bob_own_formgrader_api"] == 404, other
    assert other["bob_own_formgrader_page"] == 404, other
    # 403: the hub does not let the student into the instructor's server at all.
    assert other["bob_instructor_formgrader"] == 403, other
    assert other["bob_instructor_formgrader_page"] == 403, other
    assert other["bob_reads_ada_feedback"] == 403, other
    assert "Assignment List" in walked["student_menu"], walked["student_menu"]
    assert not [item for item in walked["student_menu"] if "Formgrader" in item], walked["student_menu"]


def _as_user(cls: Class, role: str, code: str) -> str:
    """Run Python ``code`` as the Unix user of ``role``; what it prints."""
    entry = pwd.getpwnam(cls.users[role])
    done = subprocess.run([sys.executable, "-c", code], user=entry.pw_uid, group=entry.pw_gid,
                          extra_groups=[], capture_output=True, text=True, timeout=60,
                          env={"HOME": entry.pw_dir, "PATH": "/usr/bin:/bin"}, cwd="/")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PROBE = """
import os, sys
for path in sys.argv[1:] or {paths!r}:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, 'rb').read(1)
        print('allowed', path)
    except PermissionError:
        print('denied', path)
"""


def _probe(cls: Class, role: str, paths: list[Path]) -> dict[str, str]:
    out = _as_user(cls, role, PROBE.format(paths=[str(p) for p in paths]))
    return {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in out.splitlines()}


def test_who_may_see_what(walked, hub_class):
    cls = hub_class
    if not cls.unix:
        pytest.skip("not run as root: every server ran as one Unix user, so file permissions "
                    "between students prove nothing here")
    course = cls.exchange / "lesson4"
    inbound = course / "inbound"
    submissions = {role: [p for p in inbound.iterdir() if p.name.startswith(f"{cls.users[role]}+")]
                   for role in ("ada", "bob")}
    assert all(len(found) == 1 for found in submissions.values()), submissions
    ada_submission = submissions["ada"][0]
    # nbgrader names a submission user+assignment+timestamp (to the microsecond)+12 random URL-safe
    # characters (72 random bits): without a listing, unguessable.
    assert re.fullmatch(r"[\w-]{12}", ada_submission.name.rsplit("+", 1)[1]), ada_submission.name
    ada_feedback = cls.home("ada") / walked["feedback"]["ada"]["path"]
    gradebook = cls.home("teach") / classroom.COURSE_IN_HOME / "gradebook.db"
    ada_fetched = cls.home("ada") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    paths = [inbound, course / "feedback", ada_feedback, ada_fetched, gradebook]
    bob = _probe(cls, "bob", paths)
    assert bob == {str(p): "denied" for p in paths}, bob
    teach = _probe(cls, "teach", [inbound, course / "feedback", ada_submission / f"{ASSIGNMENT}.ipynb",
                                  gradebook])
    assert set(teach.values()) == {"allowed"}, teach
    ada = _probe(cls, "ada", [ada_feedback, ada_fetched])
    assert set(ada.values()) == {"allowed"}, ada
