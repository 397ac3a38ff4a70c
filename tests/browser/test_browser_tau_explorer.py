"""The tau explorer in a real JupyterLab, in a real (headless) browser.

nbval never renders a widget and never moves a slider; this test does. It starts JupyterLab
from the project's environment (the same `jupyter lab` as `make lab`, with the same widget
extension), opens notebooks/03_crop_threshold.ipynb in Debian's chromium driven by Playwright,
runs all cells under the ci profile, then moves the tau slider with the keyboard (twice), picks
another image, presses "next", filters the picker by a finding and presses "reset to chosen tau".
After every change it checks that what the page shows -- the readouts of the image and of the
set, the chosen-tau marker and the five-panel figure, crop included -- is what
`AttentionExplorer.view`, `readouts`, `ExplorerSweep.set_readout` and `chosen_text` give in this process for
the same model and the same controls. Screenshots: build/browser/.

The notebook served is a copy in a temporary folder, stripped of its outputs: JupyterLab saves
the notebooks it opens (autosave, checkpoints, the widget state), and another hand may be
editing the committed file meanwhile. The copy holds the committed cells unchanged; the served
folder is a temporary one, so this test cannot write to notebooks/ at all.

Needs Debian's chromium (`apt-get install chromium`; .ci/run installs it); skips without it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_crop_threshold.ipynb"
SHOTS = ROOT / "build" / "browser"
JUPYTER = Path(sys.executable).parent / "jupyter"  # the environment running the tests: .venv under make
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SERVER_START_S = 120  # two shared cores: JupyterLab's first start is slow
RUN_ALL_S = 420  # every cell of the notebook under the ci profile (~15 s alone)
UPDATE_S = 90  # one widget change: a message to the kernel, one view, one PNG back
WIDGET_ERRORS = ("Error displaying widget", "model not found", "Failed to load model class", "Could not create a view")


def _chromium() -> str | None:
    return shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if os.access(p, os.X_OK)), None)


# ------------------------------------------------------------------------------------------
# JupyterLab: started here, stopped here, nothing left behind.


@dataclass
class Lab:
    url: str
    token: str
    proc: subprocess.Popen
    notebook_dir: Path
    runs: Path  # AGCNN_RUNS of the kernel: where the notebook's ci run lands
    log: Path

    def api(self, method: str, path: str, timeout: float = 10.0):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.is_file() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(config_dir: Path) -> None:
    """User settings of this server only (JUPYTER_CONFIG_DIR is a temporary folder): no autosave
    (nothing is written behind the test's back), every cell attached to the DOM (so the test can
    read every prompt), no news or update checks (no network)."""
    settings = {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for plugin, values in settings.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _stripped_copy(source: Path, folder: Path) -> Path:
    """The notebook with its cells as committed and no outputs, counts or widget state (a saved
    widget view without its kernel shows 'model not found' until its cell runs again)."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    nbformat.write(notebook, target)
    return target


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _stop(lab: Lab) -> None:
    """Kernels down through the REST API, then the server; whatever survives is killed and
    named. Kernels run in sessions of their own, so they are gathered before the server goes."""
    import psutil

    leftovers = []
    tree = _descendants(lab.proc.pid)
    try:
        for kernel in lab.api("GET", "/api/kernels") or []:
            lab.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
        lab.api("POST", "/api/shutdown", timeout=10)
    except (urllib.error.URLError, OSError, ValueError):
        pass  # the server may already be gone; the signals below still apply
    try:
        lab.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        leftovers.append(f"jupyter lab (pid {lab.proc.pid}) ignored /api/shutdown")
        with _suppress_gone():
            os.killpg(lab.proc.pid, signal.SIGTERM)
        try:
            lab.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with _suppress_gone():
                os.killpg(lab.proc.pid, signal.SIGKILL)
            lab.proc.wait(timeout=15)
    group = [p for p in psutil.process_iter(["pid"]) if _pgid(p.pid) == lab.proc.pid]
    alive = {p.pid: p for p in [*tree, *group] if _alive(p)}
    for process in alive.values():
        leftovers.append(f"pid {process.pid}: {' '.join(_cmdline(process))[:160]}")
        with _suppress_gone():
            process.kill()
    psutil.wait_procs(list(alive.values()), timeout=10)
    survivors = [p.pid for p in alive.values() if _alive(p)]
    assert not survivors, f"processes of the JupyterLab test server survive SIGKILL: {survivors}"
    assert not leftovers, "JupyterLab did not stop cleanly; killed: " + "; ".join(leftovers)


@contextmanager
def _suppress_gone():
    import psutil

    try:
        yield
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except Exception:  # gone or unreadable: nothing to show
        return []


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _chromium()
    if path is None:
        pytest.skip("Debian's chromium is not installed: install it with: sudo apt-get install chromium")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is missing: pip install -e '.[dev]'")
    return path


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    if not JUPYTER.is_file():
        pytest.fail(f"{JUPYTER} is missing: JupyterLab must come from the project's environment (make install)")
    home = tmp_path_factory.mktemp("lab")
    notebook_dir = home / "notebooks"
    _stripped_copy(NOTEBOOK, notebook_dir)
    config = home / "config"
    _write_settings(config)
    runs = home / "runs"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "AGCNN_PROFILE": "ci",  # the kernel inherits it: the notebook trains the tiny ci model
        "AGCNN_DEVICE": "cpu",  # the same device as the expectations computed in this process
        "AGCNN_RUNS": str(runs),  # its run folder: this test's own, read back below
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("JUPYTER_PATH", None)
    token = secrets.token_hex(24)
    port = _free_port()
    shutil.rmtree(SHOTS, ignore_errors=True)  # this run's screenshots and logs only
    SHOTS.mkdir(parents=True)
    log = SHOTS / "jupyterlab.log"
    command = [
        str(JUPYTER), "lab", f"--notebook-dir={notebook_dir}", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        *(["--allow-root"] if os.geteuid() == 0 else []),  # containers and CI machines run as root
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=notebook_dir, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, proc, notebook_dir, runs, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode} before serving:\n{server.log_tail()}")
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within {SERVER_START_S} s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def console() -> list[str]:
    """The page's console messages and uncaught errors (also written to build/browser/console.log)."""
    return []


@pytest.fixture(scope="module")
def page(chromium, lab, console, tmp_path_factory):
    import psutil
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    messages = console
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                str(profile), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1400, "height": 1000}, device_scale_factor=1,
            )
            try:
                tab = context.pages[0] if context.pages else context.new_page()
                tab.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
                tab.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
                yield tab
            finally:
                context.close()
    finally:
        (SHOTS / "console.log").write_text("\n".join(messages) + "\n")
        stray = [q for q in psutil.process_iter(["pid"]) if str(profile) in " ".join(_cmdline(q))]
        for q in stray:
            with _suppress_gone():
                q.kill()
        assert not stray, f"chromium left processes behind: {[q.pid for q in stray]}"


# ------------------------------------------------------------------------------------------
# What the library says the widget must show.


@contextmanager
def _environ(**values):
    with mock.patch.dict(os.environ, values):
        yield


@pytest.fixture(scope="module")
def expected(lab):
    """A callable: the explorer of the notebook's own run (its finished global stage, loaded
    from the kernel's run folder) -- used only after the notebook has run."""
    cache = {}

    def get():
        if "explorer" not in cache:
            import torch

            from agcnn_lab.attention import AttentionExplorer
            from agcnn_lab.experiment import load_data, train_run
            from agcnn_lab.notebook.series import series_dir
            from agcnn_lab.profiles import get_profile

            profile = get_profile("ci")
            with _environ(AGCNN_RUNS=str(lab.runs)):
                folder = series_dir(profile)
                assert (folder / "stage_global").is_dir(), f"the notebook left no global stage in {folder}"
                data = load_data(profile, progress=False)
                run = train_run(profile, data, folder, torch.device("cpu"), until="global", progress=False)
            cache["explorer"] = AttentionExplorer(run.model, data.dataset("val", profile.data, with_source=True), data.boxes, device="cpu")
        return cache["explorer"]

    return get


@dataclass
class Expected:
    texts: dict[str, str]  # key -> what the readout must read ("area: box area 6.2% of the image")
    set_texts: dict[str, str]  # key -> what the set-level readout must read ("all films, hit: ...")
    marker: str  # what the chosen-tau marker must read
    png: np.ndarray  # (H, W, 3) the figure as the library draws it
    panels: list[tuple[int, int, int, int]]  # the five panels in the figure's pixels: left, top, right, bottom
    crop: np.ndarray  # the view's crop itself

    @property
    def crop_box(self) -> tuple[int, int, int, int]:
        return self.panels[4]


def _decode(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def _expect(explorer, state) -> Expected:
    """The view of `state`, its readouts and its figure, drawn exactly as render_png draws it."""
    import matplotlib.pyplot as plt

    from agcnn_lab.attention import readouts
    from agcnn_lab.attention.trace import set_readouts
    from agcnn_lab.evaluate.explorer_sweep import ExplorerSweep
    from agcnn_lab.figures.attention import draw_view
    from agcnn_lab.widgets.tau_explorer import chosen_text

    view = explorer.view(state)
    fig = draw_view(view)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)  # as tau_explorer.render_png
    height = fig.bbox.height
    panels = []
    for ax in fig.axes[:5]:
        x0, y0, x1, y1 = ax.get_window_extent().extents
        panels.append((int(x0) + 2, int(height - y1) + 2, int(x1) - 2, int(height - y0) - 2))  # inside the frame
    plt.close(fig)
    texts = {key: f"{key}: {text}" for key, text in readouts(view).items()}
    summary = set_readouts(ExplorerSweep(explorer).set_readout(state.tau, state.reduce))
    set_texts = {key: f"all films, {key}: {text}" for key, text in summary.items()}
    marker = " ".join(re.sub(r"<[^>]+>", "", chosen_text(explorer, state.tau)).split())
    return Expected(texts, set_texts, marker, _decode(buffer.getvalue()), panels, view.crop)


def _region(image: np.ndarray, box) -> np.ndarray:
    left, top, right, bottom = box
    return image[top:bottom, left:right]


def _differs(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels whose colour differs at all."""
    if a.shape != b.shape:
        return 1.0
    return float((a != b).any(axis=-1).mean())


def _assert_is_drawing(shown: np.ndarray, want: Expected, state) -> None:
    """The page's figure is the library's drawing of `state`, pixel for pixel -- except on the
    heatmap panel, where a float that rounds differently in the kernel's process may move a few
    pixels of the colour map (1% allowed; in practice none move)."""
    assert shown.shape == want.png.shape, f"the figure for {state} is {shown.shape[1::-1]} px, the library's {want.png.shape[1::-1]}"
    different = (shown != want.png).any(axis=-1)
    left, top, right, bottom = want.panels[0]
    on_heatmap = different[top:bottom, left:right].mean()
    different[top:bottom, left:right] = False
    rows, columns = np.nonzero(different)
    assert not len(rows), (
        f"the figure for {state} is not the library's drawing: {len(rows)} pixels differ, "
        f"within x {columns.min()}..{columns.max()}, y {rows.min()}..{rows.max()}"
    )
    assert on_heatmap <= 0.01, f"the heatmap panel for {state} is not the library's: {on_heatmap:.1%} of it differs"


# ------------------------------------------------------------------------------------------
# The page.


def _click_run_all(page, tries: int = 3) -> None:
    """Run > Run All Cells, as a learner does. The menu item is disabled until the notebook is
    the shell's current widget, so: focus the notebook, open the menu, click the item once it is
    enabled, and see the cells queue (every prompt reads [ ]: before, none after); else again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    started = "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')].some(e => e.textContent.trim() !== '[ ]:')"
    item = page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")))
    seen = []
    for _ in range(tries):
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        item.wait_for(timeout=30_000)
        classes = item.get_attribute("class") or ""
        seen.append(classes)
        if "lm-mod-disabled" in classes:
            page.keyboard.press("Escape")
            page.wait_for_timeout(1000)
            continue
        item.click()
        try:
            page.wait_for_function(started, timeout=30_000)
            return
        except PlaywrightTimeout:
            continue
    page.screenshot(path=str(SHOTS / "failure-run-all.png"))
    pytest.fail(f"Run > Run All Cells did not start the notebook in {tries} tries (menu item classes: {seen})")


def _open_and_run_all(page, lab, cells: int) -> None:
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}", wait_until="domcontentloaded", timeout=SERVER_START_S * 1000)
    indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
    indicator.first.wait_for(timeout=SERVER_START_S * 1000)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').length === n"
        " && document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle'",
        arg=cells, timeout=SERVER_START_S * 1000,
    )  # the kernel is up and idle, every cell is in the DOM
    _click_run_all(page)
    deadline = time.monotonic() + RUN_ALL_S
    while True:
        state = page.evaluate(
            """() => ({
                prompts: [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim()),
                status: document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')?.dataset.status,
                errors: [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')].map(e => e.textContent)
                        .filter(t => t.includes('Traceback (most recent call last)')),
            })"""
        )
        if state["errors"]:
            pytest.fail("a cell of the notebook raised in JupyterLab:\n" + state["errors"][0][-3000:])
        done = [p for p in state["prompts"] if re.fullmatch(r"\[\d+\]:", p)]
        if len(done) == cells and state["status"] == "idle":
            counts = [int(p[1:-2]) for p in state["prompts"]]
            assert counts == list(range(1, cells + 1)), f"cells did not run once each, in order: {state['prompts']}"
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Run All did not finish in {RUN_ALL_S} s: prompts {state['prompts']}, kernel {state['status']}")
        page.wait_for_timeout(500)


def _figure(page) -> tuple[str, bytes]:
    """The figure's blob URL and the PNG behind it, read from the page."""
    shown = page.evaluate(
        """async () => {
            const img = document.querySelector('.agcnn-figure');
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let text = '';
            for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            return {src: img.src, png: btoa(text)};
        }"""
    )
    return shown["src"], base64.b64decode(shown["png"])


def _readouts(page, prefix: str = "agcnn-readout-") -> dict[str, str]:
    """The text of each readout (agcnn-readout-<key>; with prefix agcnn-readout-set-, the
    set-level ones), as the page shows it."""
    from agcnn_lab.widgets.tau_explorer import READOUTS, SET_READOUTS

    texts = page.evaluate(
        """([prefix, keys]) => Object.fromEntries(keys.map(k =>
            [k, document.querySelector('.' + prefix + k + ' .widget-html-content')?.textContent ?? null]))""",
        [prefix, list(SET_READOUTS if prefix.endswith("set-") else READOUTS)],
    )
    return {key: " ".join(text.split()) if text is not None else None for key, text in texts.items()}


def _marker(page) -> str:
    return _plain(page.locator(".agcnn-chosen-tau .widget-html-content").inner_text())


def _plain(text: str) -> str:
    """Page text with its runs of whitespace as one space: ipywidgets writes the spaces of a
    dropdown's option labels as no-break spaces (str.split counts them as whitespace)."""
    return " ".join(text.split())


def _assert_no_widget_error(page, console: list[str]) -> None:
    text = page.locator(".jp-NotebookPanel .jp-Notebook").first.inner_text()
    for message in WIDGET_ERRORS:
        assert message not in text, f"the notebook shows {message!r}: the widget extension failed"
        logged = [m for m in console if message in m]
        assert not logged, f"the browser console says the widget failed: {logged[0][:500]}"


def _assert_kernel_is_the_environment(lab, kernelspec: str) -> None:
    """The notebook's kernel is its kernelspec's, and runs the tests' (the project's) Python."""
    sessions = [s for s in lab.api("GET", "/api/sessions") if s["path"].endswith(NOTEBOOK.name)]
    assert [s["kernel"]["name"] for s in sessions] == [kernelspec], f"kernels of the notebook: {sessions}"
    kernels = [_cmdline(p) for p in _descendants(lab.proc.pid) if "ipykernel_launcher" in _cmdline(p)]
    assert len(kernels) == 1, f"expected one kernel process, found {kernels}"
    python = Path(kernels[0][0])
    assert python.parent == Path(sys.executable).parent, f"the kernel runs {python}, not the project's environment ({sys.executable})"


class Shown:
    """The widget's state as the page shows it, checked against the library after each change."""

    def __init__(self, page, explorer):
        self.page, self.explorer = page, explorer
        self.src: str | None = None
        self.png: np.ndarray | None = None
        self.expected: Expected | None = None

    def check(self, state, shot: str | None = None) -> dict[str, str]:
        """Wait for the figure of the change just made, then compare it and the readouts with
        the library's view of `state`; returns the readouts shown."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self.page
        try:
            page.wait_for_function(
                "previous => { const img = document.querySelector('.agcnn-figure');"
                " return img && img.src && img.src !== previous; }",
                arg=self.src or "", timeout=UPDATE_S * 1000,
            )
        except PlaywrightTimeout:
            pytest.fail(f"the figure was not redrawn within {UPDATE_S} s for {state}; the page shows {_readouts(page)}")
        src, png = _figure(page)
        shown_png = _decode(png)
        want = _expect(self.explorer, state)
        tau_text = page.locator(".agcnn-tau .widget-readout").inner_text().strip()
        assert tau_text == f"{state.tau:.2f}", f"the slider reads {tau_text}, expected {state.tau:.2f}"
        image_text = _plain(page.locator(".agcnn-image select").evaluate("s => s.options[s.selectedIndex].text"))
        assert image_text == self.explorer.describe(state.image)
        shown = _readouts(page)
        assert shown == want.texts, f"readouts for {state}:\n shown    {shown}\n expected {want.texts}"
        shown_set = _readouts(page, "agcnn-readout-set-")
        assert shown_set == want.set_texts, f"set readouts for {state}:\n shown    {shown_set}\n expected {want.set_texts}"
        assert _marker(page) == want.marker
        # The figure is the library's drawing of this state ...
        _assert_is_drawing(shown_png, want, state)
        # ... and its crop panel changed exactly when the library's crop changed.
        if self.expected is not None:
            crop_moved = _differs(_region(shown_png, want.crop_box), _region(self.png, self.expected.crop_box))
            if np.array_equal(want.crop, self.expected.crop):
                assert crop_moved == 0, f"the crop for {state} changed on the page, not in the library"
            else:
                assert crop_moved > 0.05, f"the library's crop changed for {state}, the page's did not ({crop_moved:.2%})"
        self.src, self.png, self.expected = src, shown_png, want
        if shot:
            output = page.locator(".jp-OutputArea-output", has=page.locator(".agcnn-tau"))
            output.scroll_into_view_if_needed()
            output.screenshot(path=str(SHOTS / shot))
        return shown


def _tau_targets(explorer, state, steps) -> tuple[float, float]:
    """Two slider values the library says change the box: the first as far from the opening
    area as possible (nearest the opening tau among ties), the second with an area unlike both."""
    from agcnn_lab.attention import ExplorerState

    def area(tau):
        return round(explorer.view(ExplorerState(state.image, tau, state.reduce)).area_percent, 1)

    areas = {tau: area(tau) for tau in steps}
    start = areas[state.tau]
    first = [t for t in steps if areas[t] != start]
    if not first:
        pytest.fail(f"the library gives one box area at every tau for image {state.image}: nothing to see change")
    tau1 = min(first, key=lambda t: (-abs(areas[t] - start), abs(t - state.tau)))
    second = [t for t in steps if areas[t] not in (start, areas[tau1])] or [t for t in steps if areas[t] != areas[tau1]]
    tau2 = min(second, key=lambda t: abs(t - tau1))
    return tau1, tau2


def _move_slider(page, shown: Shown, state, tau: float, shot: str) -> tuple:
    """Press ArrowLeft/ArrowRight on the slider's handle, one step at a time (each step is a
    change the kernel answers; every one is checked)."""
    from dataclasses import replace

    handle = page.locator(".agcnn-tau .noUi-handle")
    steps = round((tau - state.tau) / 0.05)
    key = "ArrowRight" if steps > 0 else "ArrowLeft"
    texts = {}
    for k in range(abs(steps)):
        state = replace(state, tau=round(state.tau + (0.05 if steps > 0 else -0.05), 2))
        handle.press(key)
        texts = shown.check(state, shot if k == abs(steps) - 1 else None)
    return state, texts


# ------------------------------------------------------------------------------------------


def test_tau_explorer_in_jupyterlab(lab, page, console, expected):
    """Run the notebook in JupyterLab, then: tau to two values, another image; each time the
    readouts and the figure (its crop) are the library's for the controls the page shows."""
    committed = json.loads(NOTEBOOK.read_text())
    cells = sum(c["cell_type"] == "code" for c in committed["cells"])
    with _screenshot_on_failure(page):
        _drive(page, lab, console, expected, committed, cells)


@contextmanager
def _screenshot_on_failure(page):
    try:
        yield
    except BaseException:
        try:
            page.screenshot(path=str(SHOTS / "failure.png"))
        except Exception:  # the page may be gone; the original error matters
            pass
        raise


def _drive(page, lab, console, expected, committed, cells) -> None:
    from dataclasses import replace

    from agcnn_lab.attention import ExplorerState
    from agcnn_lab.widgets.tau_explorer import (
        READOUTS,
        SET_READOUTS,
        TAU_STEPS,
        nearest_step,
        tau_explorer,
    )

    _open_and_run_all(page, lab, cells)
    page.screenshot(path=str(SHOTS / "00-notebook-after-run-all.png"))
    _assert_kernel_is_the_environment(lab, committed["metadata"]["kernelspec"]["name"])

    # The widget rendered: with a failing widget extension the cell shows the widget's text
    # repr or "Error displaying widget" instead of a slider.
    if page.locator(".agcnn-tau .noUi-handle").count() != 1:
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        widget_output = next((t for t in outputs if "VBox" in t or "widget" in t.lower()), "")
        pytest.fail(f"the tau explorer did not render (no .agcnn-tau slider); the cell shows: {widget_output[:500]!r}")
    _assert_no_widget_error(page, console)
    parts = (".agcnn-image select", ".agcnn-reduce select", ".agcnn-filter select", ".agcnn-figure", ".agcnn-chosen-tau",
             ".agcnn-reset", ".agcnn-previous", ".agcnn-next", ".agcnn-random",
             *(f".agcnn-readout-{k}" for k in READOUTS), *(f".agcnn-readout-set-{k}" for k in SET_READOUTS))
    for part in parts:
        assert page.locator(part).count() == 1, f"{part} is missing from the rendered widget"

    # The library's widget for the notebook's own model: its picker and its opening state.
    explorer = expected()
    built = tau_explorer(explorer)
    picker = [index for _, index in built.controls["image"].options]
    names = [_plain(t) for t in page.locator(".agcnn-image select option").all_inner_texts()]
    assert names == [explorer.describe(i) for i in picker], "the image picker does not list the library's images in its order"
    c = built.controls
    state = ExplorerState(c["image"].value, round(float(c["tau"].value), 4), c["reduce"].value)
    shown = Shown(page, explorer)
    opening = shown.check(state, "01-opening.png")

    # tau to a first value, then a second one, each with a box area unlike the one before
    # (the library's sweep of this image picks them); every step on the way is checked.
    tau1, tau2 = _tau_targets(explorer, state, TAU_STEPS)
    state, at_tau1 = _move_slider(page, shown, state, tau1, f"02-tau-{tau1:.2f}.png")
    assert at_tau1["area"] != opening["area"]
    state, at_tau2 = _move_slider(page, shown, state, tau2, f"03-tau-{tau2:.2f}.png")
    assert at_tau2["area"] != at_tau1["area"]

    # Another image: the first in the picker whose box or verdicts differ at this tau.
    others = [i for i in picker if i != state.image]
    image = next((i for i in others if _boxed(explorer, replace(state, image=i)) != _boxed(explorer, state)), others[0])
    state = replace(state, image=image)
    page.locator(".agcnn-image select").select_option(label=explorer.describe(image))
    at_image = shown.check(state, f"04-image-{Path(explorer.names()[image]).stem}.png")
    assert at_image["image"] != at_tau2["image"]

    # "next": the picker's following image (wrapping at its end).
    state = replace(state, image=picker[(picker.index(state.image) + 1) % len(picker)])
    page.locator(".agcnn-next").click()
    shown.check(state, "05-next.png")

    # A filter by finding that leaves out the image shown: the picker keeps that finding's
    # images (the library's), and the first of them is shown.
    finding, kept = next((f, k) for f, k in _filters(explorer, picker) if state.image not in k)
    page.locator(".agcnn-filter select").select_option(value=_option_value(page, ".agcnn-filter select", finding))
    state = replace(state, image=kept[0])
    shown.check(state, "06-filter.png")
    names = [_plain(t) for t in page.locator(".agcnn-image select option").all_inner_texts()]
    assert names == [explorer.describe(i) for i in kept], f"the filter {finding!r} does not leave the library's images"

    # Back to the chosen tau (the model's), which the widget opened on.
    if state.tau != nearest_step(explorer.chosen_tau):
        state = replace(state, tau=nearest_step(explorer.chosen_tau))
        page.locator(".agcnn-reset").click()
        shown.check(state, "07-reset.png")

    _assert_no_widget_error(page, console)
    page.screenshot(path=str(SHOTS / "08-notebook-at-the-end.png"))


def _filters(explorer, picker):
    """(finding, the picker's images with it) for each filter the widget offers but All."""
    from agcnn_lab.attention.trace import ALL
    from agcnn_lab.widgets.tau_explorer import finding_options

    for _, finding in finding_options(explorer, picker):
        if finding != ALL:
            yield finding, explorer.with_finding(finding, picker)


def _option_value(page, select: str, finding: str) -> str:
    """The DOM value of the option that names `finding` (ipywidgets numbers its options)."""
    from agcnn_lab.data.classes import NO_FINDING

    label = "No finding" if finding == NO_FINDING else finding
    options = page.locator(f"{select} option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
    return next(value for value, text in options if re.fullmatch(rf"{re.escape(label)} \(\d+\)", _plain(text)))


def _boxed(explorer, state) -> tuple[str, str]:
    """The library's box area and verdicts for `state`."""
    from agcnn_lab.attention import readouts

    texts = readouts(explorer.view(state))
    return texts["area"], texts["truth"]
