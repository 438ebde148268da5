"""Keep the notebooks' Colab links and install cells in step with ``_config.yml``.

The repository URL and branch are written once, under ``repository:`` in ``_config.yml``. Each
notebook's first cell links to the same notebook in Colab, and its install cell sets
``REPO = "..."`` and ``REF = "..."``; this module rewrites both from the config. Usage::

    python -m ebm_course.sync            # rewrite
    python -m ebm_course.sync --check    # exit 1 if anything is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

COLAB_RE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")
REPO_RE = re.compile(r'^REPO = "[^"]*"$', re.M)
REF_RE = re.compile(r'^REF = "[^"]*"$', re.M)


def repository(root: Path) -> tuple[str, str]:
    """(url, branch) from ``root/_config.yml``."""
    import yaml

    cfg = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    repo = cfg.get("repository") or {}
    url, branch = repo.get("url"), repo.get("branch", "main")
    if not url or not url.startswith("https://github.com/"):
        raise ValueError(f"_config.yml: repository.url must be a https://github.com/ URL (got {url!r})")
    return url.rstrip("/"), branch


def colab_url(url: str, branch: str, rel_path: str) -> str:
    owner_repo = url.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{rel_path}"


def synced(nb, url: str, branch: str, rel_path: str):
    """Return (notebook, changed) with the links and install cell rewritten."""
    changed = False
    target = colab_url(url, branch, rel_path)
    for cell in nb.cells:
        src = cell.source
        new = COLAB_RE.sub(target, src)
        if cell.cell_type == "code":
            new = REPO_RE.sub(f'REPO = "{url}"', new)
            new = REF_RE.sub(f'REF = "{branch}"', new)
        if new != src:
            cell.source = new
            changed = True
    return nb, changed


def notebooks(root: Path) -> list[Path]:
    return sorted(p for p in (Path(root) / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def run(root: Path, check: bool = False) -> list[Path]:
    """Rewrite (or, with ``check``, only list) the notebooks that are out of date."""
    import nbformat

    root = Path(root)
    url, branch = repository(root)
    stale = []
    for path in notebooks(root):
        nb = nbformat.read(path, as_version=4)
        nb, changed = synced(nb, url, branch, path.relative_to(root).as_posix())
        if changed:
            stale.append(path)
            if not check:
                nbformat.write(nb, path)
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the book's root folder (holds _config.yml)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if a notebook is out of date")
    args = parser.parse_args(argv)
    stale = run(Path(args.root), check=args.check)
    for path in stale:
        print(("out of date: " if args.check else "updated: ") + str(path))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
