"""The project's Markdown pages: every relative link and image points at a file of the repository,
and every #anchor at one of the target page's headings (as GitHub spells them), so moving a section
from one page to another cannot leave a reader at a dead link."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def github_anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {github_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def dead_links(page: Path) -> list[str]:
    """Each link of `page` whose file or heading does not exist, as 'TARGET (why)'."""
    dead = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: - not checked offline
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            dead.append(f"{target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            dead.append(f"{target} (no such heading)")
    return dead


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_a_page_resolves(page):
    assert dead_links(page) == [], f"{page.relative_to(ROOT)}: dead links"


def test_a_dead_link_and_a_dead_anchor_are_found(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## The profile's four choices\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#the-profiles-four-choices) [gone](missing.png) [bad](other.md#no-such)\n"
        "[web](https://example.org/x) [self](#here)\n\n## Here\n\n```\n[in code](nowhere.md)\n```\n"
    )
    assert dead_links(page) == ["missing.png (no such file)", "other.md#no-such (no such heading)"]


def test_github_anchor_drops_punctuation_and_keeps_hyphens():
    assert github_anchor(" The profile's four choices") == "the-profiles-four-choices"
    assert (
        github_anchor("Stage II: the `crop`, batched vs per-image")
        == "stage-ii-the-crop-batched-vs-per-image"
    )
