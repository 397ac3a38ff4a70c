"""The notebooks on Colab: ONE setting (the repository's URL), and everything derived from it.

    REPOSITORY = "https://github.com/OWNER/agcnn_lab"     # <- the one line to fill in

From it come the first code cell of every notebook (on Colab: clone, `pip install -e`, chdir;
locally: nothing), the "Open in Colab" links, and the README's table of badges:

    python scripts/colab.py readme              # the README snippet, from REPOSITORY
    python scripts/colab.py readme --write README.md   # ... written into README.md's table
    python scripts/colab.py sync notebooks      # rewrite each notebook's setup cell

tests/test_notebooks.py checks that every committed notebook's first code cell is exactly
`setup_cell_source()` and tests/test_colab.py that README.md's table is `readme_snippet()`, so
changing REPOSITORY and running `sync` and `readme --write README.md` is all a fork has to do.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

REPOSITORY = "https://github.com/OWNER/agcnn_lab"  # the GitHub repository of this project
BRANCH = "main"
NOTEBOOK_DIR = "notebooks"
CHECKOUT = "/content/agcnn_lab"  # where Colab clones it
# The notebooks that ask Colab for a GPU (Runtime > Change runtime type is preset to T4).
GPU_NOTEBOOKS = ("04_local_branch.ipynb", "05_fusion.ipynb", "06_real_data_gpu.ipynb")
SETUP_MARKER = "# Setup (idempotent)"
# Colab keeps its own torch, jupyter and scientific stack; installing the package's full
# dependency list there (jupyterlab, ...) can upgrade and break the runtime. So the package goes
# in with --no-deps, plus the few dependencies Colab does not ship.
COLAB_EXTRAS = ("grad-cam>=1.5",)

_SETUP = '''{marker}: on Colab, fetch and install agcnn_lab; locally, nothing to do.
import os, sys, subprocess
from importlib import metadata
from pathlib import Path

REPOSITORY = "{repository}"  # generated from scripts/colab.py
if "google.colab" in sys.modules:
    if not Path("{checkout}").is_dir():
        {fetch}
    try:
        metadata.version("agcnn_lab")
    except metadata.PackageNotFoundError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "{checkout}"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", {extras}], check=True)  # what Colab lacks
    if "{checkout}" not in sys.path:
        sys.path.insert(0, "{checkout}")  # this kernel started before the install
    os.chdir("{checkout}/{notebooks}")
elif (Path.cwd().parent / "agcnn_lab").is_dir() and str(Path.cwd().parent) not in sys.path:
    sys.path.insert(0, str(Path.cwd().parent))  # a checkout without `pip install -e .`'''


def _owner_and_name(repository: str = REPOSITORY) -> str:
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", repository)
    if not match:
        raise ValueError(f"REPOSITORY must look like https://github.com/OWNER/NAME, got {repository!r}")
    return match.group(1)


def is_placeholder(repository: str = REPOSITORY) -> bool:
    """True while REPOSITORY still names the OWNER placeholder."""
    return _owner_and_name(repository).startswith("OWNER/")


def setup_cell_source(repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The first code cell of every notebook."""
    _owner_and_name(repository)
    extras = ", ".join(f'"{e}"' for e in COLAB_EXTRAS)
    fetch = f'subprocess.run(["git", "clone", "--depth", "1", "--branch", "{branch}", REPOSITORY, "{CHECKOUT}"], check=True)'
    if is_placeholder(repository):  # say so, rather than let git ask Colab for a password
        fetch = 'raise SystemExit("scripts/colab.py: set REPOSITORY to this project\'s GitHub URL, then `python scripts/colab.py sync notebooks`")'
    return _SETUP.format(marker=SETUP_MARKER, repository=repository, checkout=CHECKOUT, notebooks=NOTEBOOK_DIR, extras=extras, fetch=fetch)


def colab_url(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The Colab address that opens `notebook` (a file name in notebooks/) from GitHub."""
    return f"https://colab.research.google.com/github/{_owner_and_name(repository)}/blob/{branch}/{NOTEBOOK_DIR}/{notebook}"


def badge(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """Markdown of the "Open in Colab" badge for `notebook`."""
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({colab_url(notebook, repository, branch)})"


def notebook_titles(folder: str | Path) -> list[tuple[str, str]]:
    """(file name, title) of each notebook in `folder`, in order; the title is the first
    markdown heading, without its "NN · " prefix."""
    out = []
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        title = path.stem
        for cell in cells:
            if cell["cell_type"] == "markdown":
                for line in "".join(cell["source"]).splitlines():
                    if line.startswith("# "):
                        title = re.sub(r"^\d+\s*[·:.-]\s*", "", line[2:].strip())
                        break
                break
        out.append((path.name, title))
    return out


def readme_snippet(folder: str | Path, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The README's notebook table: one row per notebook, the runtime Colab opens it with, its badge."""
    lines = [
        "| notebook | what it teaches | Colab runtime | open |",
        "| --- | --- | --- | --- |",
    ]
    for name, title in notebook_titles(folder):
        runtime = "GPU" if name in GPU_NOTEBOOKS else "CPU"
        lines.append(f"| [`{name}`]({NOTEBOOK_DIR}/{name}) | {title} | {runtime} | {badge(name, repository, branch)} |")
    lines += [
        "",
        f"The links open the notebooks of `{repository}` (branch `{branch}`): set `REPOSITORY` in "
        "`scripts/colab.py`, then run `python scripts/colab.py sync notebooks` and "
        "`python scripts/colab.py readme` to regenerate the setup cells and this table.",
    ]
    return "\n".join(lines)


README_BEGIN = (
    "<!-- colab-table: generated by `python scripts/colab.py readme --write README.md` -->"
)
README_END = "<!-- /colab-table -->"


def update_readme(
    path: str | Path,
    folder: str | Path = NOTEBOOK_DIR,
    repository: str = REPOSITORY,
    branch: str = BRANCH,
) -> bool:
    """Replace the notebook table between README_BEGIN and README_END; True when the file changed."""
    path = Path(path)
    text = path.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise ValueError(
            f"{path}: no notebook table to update; put the lines {README_BEGIN!r} and {README_END!r} where it goes"
        )
    new = (
        text[: begin + len(README_BEGIN)]
        + "\n"
        + readme_snippet(folder, repository, branch)
        + "\n"
        + text[end:]
    )
    if new != text:
        path.write_text(new)
        return True
    return False


def colab_metadata(notebook: str) -> dict:
    """The notebook-level metadata Colab reads: a GPU runtime for GPU_NOTEBOOKS."""
    meta = {"colab": {"provenance": [], "toc_visible": True}}
    if notebook in GPU_NOTEBOOKS:
        meta["accelerator"] = "GPU"
        meta["colab"]["gpuType"] = "T4"
    return meta


def sync_notebook(path: str | Path, repository: str = REPOSITORY, branch: str = BRANCH) -> bool:
    """Rewrite the setup cell (the first code cell) and the Colab metadata of one notebook.
    Returns True when the file changed. Outputs and execution counts are kept."""
    import nbformat

    path = Path(path)
    text = path.read_text()
    notebook = nbformat.reads(text, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    if not cell.source.startswith(SETUP_MARKER):
        raise ValueError(f"{path}: the first code cell is not the setup cell ({SETUP_MARKER!r})")
    cell.source = setup_cell_source(repository, branch)
    notebook.metadata.update(colab_metadata(path.name))
    if path.name not in GPU_NOTEBOOKS:
        notebook.metadata.pop("accelerator", None)
        notebook.metadata["colab"].pop("gpuType", None)
    new = nbformat.writes(notebook) + "\n"
    if new != text:
        path.write_text(new)
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/colab.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    readme = commands.add_parser("readme", help="print the README's notebook table with Colab badges")
    readme.add_argument("folder", nargs="?", default=NOTEBOOK_DIR)
    readme.add_argument("--write", metavar="README", help="update the table in this file instead of printing it")
    sync = commands.add_parser("sync", help="rewrite the setup cell and Colab metadata of every notebook")
    sync.add_argument("folder", nargs="?", default=NOTEBOOK_DIR)
    args = parser.parse_args(argv)
    if args.command == "readme" and args.write:
        print(f"{args.write}: {'updated' if update_readme(args.write, args.folder) else 'unchanged'}")
    elif args.command == "readme":
        print(readme_snippet(args.folder))
    else:
        for path in sorted(Path(args.folder).glob("[0-9][0-9]_*.ipynb")):
            print(f"{path}: {'updated' if sync_notebook(path) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
