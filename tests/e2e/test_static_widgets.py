"""Static widget output in a book page renders from our own JS, never a CDN."""

import shutil

import nbformat

from rusfokus.book import build_book

from helpers.paths import ROOT


def test_static_widget_renders_offline_from_local_js(browser, tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    for name in ("_config.yml", "kommune.yml", "kommune-logo.svg"):  # kommune.yml names its logo file
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, proj / name)
    shutil.copytree(ROOT / "assets", proj / "assets")
    (proj / "widgets").mkdir()
    (proj / "book").mkdir()
    (proj / "_toc.yml").write_text("format: jb-book\nroot: book/index\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Faner"),
        nbformat.v4.new_code_cell(
            "import ipywidgets as w\nt = w.Tab([w.HTML('<p>Dagtilbud-indhold</p>'), w.HTML('<p>Skole-indhold</p>')])\n"
            "t.titles = ('Dagtilbud', 'Skole')\nt",
            metadata={"tags": ["remove-input"]},
        ),
    ]
    nbformat.write(nb, proj / "book" / "index.ipynb")
    html = build_book(proj, out_dir=tmp_path / "html", staging=tmp_path / "staging", quiet=True)
    page_html = (html / "book" / "index.html").read_text(encoding="utf-8")
    assert "_static/ipywidgets/embed-amd.js" in page_html and "_static/ipywidgets/require.js" in page_html
    assert "cdnjs" not in page_html and "jsdelivr" not in page_html and "unpkg" not in page_html
    assert "import ipywidgets" not in page_html

    context = browser.new_context()
    blocked = []
    context.route(
        "**/*",
        lambda route: (
            (blocked.append(route.request.url), route.abort())
            if not route.request.url.startswith("file://")
            else route.continue_()
        ),
    )
    page = context.new_page()
    page.goto((html / "book" / "index.html").as_uri())
    page.wait_for_selector("text=Dagtilbud-indhold", timeout=30_000)
    page.get_by_role("tab", name="Skole").click()
    page.wait_for_selector("text=Skole-indhold", state="visible", timeout=10_000)
    context.close()
    assert blocked == [], f"the page tried the network: {blocked[:5]}"
