"""Every notebook runs top to bottom from a copy in an empty folder, with only the installed
package (what Colab has), and with the network cut: a socket to anything but this machine fails."""

from __future__ import annotations

import os
import shutil
import textwrap

import nbformat
import pytest
from nbclient import NotebookClient
from nbtools import NB, chapters

BLOCK_NETWORK = textwrap.dedent(
    """
    import socket

    _connect = socket.socket.connect

    def _local_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return _connect(self, address)
        raise OSError(f"network access blocked in this test: {address!r}")

    socket.socket.connect = _local_only
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", chapters())
def test_notebook_runs_from_an_empty_folder_without_network(slug, lang, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(NB / lang / f"{slug}.ipynb", work)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_NETWORK, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    monkeypatch.chdir(work)
    nb = nbformat.read(work / f"{slug}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    stderr = [o.text for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == [], f"warnings on stderr (a missing glyph, say): {stderr}"
    for i, cell in enumerate(code):
        if "plt.show()" in cell.source:
            kinds = [k for o in cell.outputs for k in o.get("data", {})]
            assert "image/png" in kinds, f"code cell {i} calls plt.show() but shows no figure"
    assert sorted(os.listdir(work)) == [f"{slug}.ipynb"], "the notebook wrote files next to itself"
