"""``mrkit report``: the book's MR page on a user's own data, checked on the example data of ../shared/validation.

Two reports are built once each (module fixtures), through the command line as a user runs it: the lipids
example (LDL-c -> CHD, a harmonised ``SNP, bx, bxse, by, byse`` table, binary outcome; printed to PDF where
Debian chromium is installed) and BMI -> CHD from TwoSampleMR's two files (``bmi_ieu-a-2_exposure.csv``,
``chd_ieu-a-7_outcome.csv``), harmonised on the way. Both with seed :data:`SEED`.

What the page must hold is read from the book's MR page itself (``notebooks/mr_analysis.py``: its section
headings, its figures and their alt texts, its tables), not from a list typed here. The numbers are compared
with ``mrkit.mr`` on the same file read independently (the csv module, Python floats), and IVW with R's
TwoSampleMR (``expected/*.json``, TwoSampleMR 0.7.9: see ../shared/validation/MANIFEST.md).
"""
from __future__ import annotations

import ast
import csv
import hashlib
import json
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import pytest

from mrkit.book.browser import find_chromium
from mrkit.cli import main
from mrkit.paper.direction import METHODS, DirectionResult
from mrkit.paper.labels import method_label

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "mr_analysis.py"
SEED = 20240611


# --- the book's MR page: what a report must hold ----------------------------------------------------------------
def book_page():
    """Sections (markdown headings), figures (glue key -> alt text) and table captions' fixed opening words of the
    book's MR page, read from its notebook."""
    nb = jupytext.read(NOTEBOOK)
    headings, figures, captions, tables = [], {}, [], 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings += [m.group(1).strip() for m in re.finditer(r"^#{2,6}\s+(.+)$", cell.source, re.M)]
            for m in re.finditer(r"```\{glue:figure\}\s+(\S+)\s*\n:alt:\s*(.+)", cell.source):
                figures[m.group(1)] = m.group(2).strip()
        elif cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        isinstance(node.func.value, ast.Name) and node.func.value.id == "report" and \
                        node.func.attr in ("table", "estimates_table"):
                    tables += 1
                    caption = next((k.value for k in node.keywords if k.arg == "caption"), None)
                    first = caption.values[0] if isinstance(caption, ast.JoinedStr) else caption
                    if isinstance(first, ast.Constant) and str(first.value).strip():
                        captions.append(str(first.value).split("{")[0].strip())
    return headings, figures, captions, tables


def test_the_book_page_reader_finds_the_page():
    """The reader of the book's page is not vacuous: the MR page has its sections, five figures and tables."""
    headings, figures, captions, tables = book_page()
    assert {"Causal estimates", "Plots", "Summary"} <= set(headings)
    assert set(figures) == {"scatter", "forest", "funnel", "loo", "robust-forest"}  # robust-forest: issue 23
    assert tables >= 4 and any(c.startswith("Cochran's Q") for c in captions)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._heading = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(self._heading.strip().rstrip("#").strip())  # less the anchor link "#"
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading is not None:
            self._heading += data


def page_of(folder: Path) -> tuple[_Page, str]:
    p = _Page()
    source = (folder / "index.html").read_text()
    p.feed(source)
    return p, " ".join(" ".join(p.text).split())


# --- the two reports --------------------------------------------------------------------------------------------
def _report(argv: list[str]) -> None:
    code = main(["report", *argv, "--seed", str(SEED)])
    assert code == 0, f"mrkit report {' '.join(argv)} exited {code}"


@pytest.fixture(scope="module")
def lipids(validation_dir, tmp_path_factory):
    """The lipids example (28 variants), with its PDF where chromium is installed: (folder, input file)."""
    table = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    out = tmp_path_factory.mktemp("report") / "lipids"
    _report([str(table), "-o", str(out), "--exposure-name", "LDL cholesterol", "--exposure-units", "mmol/L",
             "--outcome-name", "Coronary heart disease", "--binary-outcome",
             "--pdf" if find_chromium() else "--no-pdf"])
    return out, table


@pytest.fixture(scope="module")
def bmi(validation_dir, tmp_path_factory):
    """BMI -> CHD from TwoSampleMR's exposure and outcome files, harmonised by mrkit: (folder, files)."""
    files = [validation_dir / "bmi_ieu-a-2_exposure.csv", validation_dir / "chd_ieu-a-7_outcome.csv"]
    out = tmp_path_factory.mktemp("report") / "bmi"
    _report([*map(str, files), "-o", str(out), "--exposure-units", "SD", "--binary-outcome", "--no-pdf"])
    return out, files


@pytest.fixture(params=["lipids", "bmi"])
def built(request):
    return request.getfixturevalue(request.param)


def test_the_page_has_every_section_figure_and_table_of_the_book_mr_page(built):
    folder, _ = built
    page, text = page_of(folder)
    headings, figures, captions, tables = book_page()
    for heading in headings:
        assert heading in page.headings, f"section {heading!r} of the book's MR page is missing"
    alts = {a.get("alt") for t, a in page.tags if t == "img"}
    for key, alt in figures.items():
        assert alt in alts, f"figure {key!r} ({alt!r}) of the book's MR page is missing"
    for caption in captions:
        assert caption in text, f"table {caption!r} of the book's MR page is missing"
    assert sum(t == "table" for t, _ in page.tags) >= tables
    for method in METHODS:  # every method of the page, estimable or with its reason
        assert method_label(method) in text, f"{method_label(method)} missing"
    for word in ("MR-PRESSO global", "Cochran's Q", "MR-Egger intercept", "I²_GX", "Steiger", "Leave-one-out"):
        assert word in text, f"{word!r} missing"


def test_steiger_is_reported_or_its_absence_explained(lipids, bmi):
    _, with_n = page_of(bmi[0])  # TwoSampleMR files carry sample sizes and p-values
    assert "Steiger: R² exposure" in with_n and "Steiger: R² outcome" in with_n
    _, without = page_of(lipids[0])  # SNP, bx, bxse, by, byse only
    assert "Steiger directionality not computed" in without and "Steiger: R² exposure" not in without


def test_the_page_names_the_users_traits_and_files_and_never_synthetic_data(lipids, bmi):
    for (folder, files), names in ((lipids, ["LDL cholesterol", "Coronary heart disease"]),
                                   (bmi, ["Body mass index", "Coronary heart disease"])):
        page, text = page_of(folder)
        assert "synthetic" not in (folder / "index.html").read_text().lower()
        assert "Your data" in text
        # the book's "take this page away" box links the book's downloads, which a report folder has not
        assert "Take this page away" not in text and "re-run this page" not in text.lower()
        # and the book's exercises re-run the book's data, not the user's
        assert "exercises that re-run it on the book" in text
        for name in names:
            assert name in page.headings[0], f"{name!r} not in the page title {page.headings[0]!r}"
        for f in files if isinstance(files, list) else [files]:
            assert str(f) in text and hashlib.sha256(f.read_bytes()).hexdigest() in text


def _floats(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _mr_on(rows: list[dict], names: dict[str, str]):
    """``mrkit.mr`` on the rows, given the columns as Python floats (``names``: table column -> TwoSampleMR name)."""
    import mrkit

    data = {"SNP": [r["SNP"] for r in rows]}
    data.update({tsmr: [float(r[c]) for r in rows] for c, tsmr in names.items()})
    return mrkit.mr(data, methods=list(METHODS), convention="twosamplemr", seed=SEED)


def _page_estimates(folder: Path):
    import pandas as pd

    result = DirectionResult.load(next(folder.glob("mr-*.json")))
    csv_file = next(folder.glob("downloads/*/causal-estimates.csv"))
    return result, pd.read_csv(csv_file)


def _assert_same(page, reference):
    assert list(page["method"]) == list(reference["method"])
    for c in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        a, b = page[c].astype(float).tolist(), reference[c].astype(float).tolist()
        assert all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b)), c


def test_the_numbers_equal_mrkit_mr_and_r_on_the_same_data(lipids, bmi, validation_dir):
    folder, table = lipids
    result, page = _page_estimates(folder)
    rows = _floats(table)
    reference = _mr_on(rows, {"bx": "beta.exposure", "bxse": "se.exposure", "by": "beta.outcome",
                              "byse": "se.outcome"})
    _assert_same(page, reference)
    _assert_same(result.estimates, reference)
    assert result.seed == SEED and result.outcome.binary and result.exposure.label == "LDL cholesterol"

    folder, (x_file, y_file) = bmi
    result, page = _page_estimates(folder)
    outcome = {r["SNP"]: r for r in _floats(y_file)}  # the vignette's files: alleles already aligned
    rows = [{**r, **{k: outcome[r["SNP"]][k] for k in ("beta.outcome", "se.outcome")}} for r in _floats(x_file)]
    names = {c: c for c in ("beta.exposure", "se.exposure", "beta.outcome", "se.outcome")}
    _assert_same(page, _mr_on(rows, names))
    expected = json.loads((validation_dir / "expected" / "bmi_chd.json").read_text())["TSMR_ivw"]  # R
    ivw = result.method("ivw")
    assert ivw["nsnp"] == expected["nsnp"] == 79
    assert ivw["estimate"] == pytest.approx(expected["b"], rel=1e-9)
    assert ivw["se"] == pytest.approx(expected["se"], rel=1e-9)
    _, text = page_of(folder)
    assert f"OR {math.exp(expected['b']):.3f}" in text  # the summary sentence: exp(0.4459) = 1.562


def test_every_csv_is_linked_and_every_link_and_image_resolves(built):
    folder, _ = built
    page, _ = page_of(folder)
    links = [a["href"] for t, a in page.tags if t == "a" and "download" in a and a.get("href")]
    csvs = sorted(p.relative_to(folder).as_posix() for p in folder.glob("downloads/**/*.csv"))
    _, figures, _, tables = book_page()
    assert len(csvs) >= len(figures) + tables, csvs
    assert set(csvs) <= set(links), f"CSV files the page does not link: {set(csvs) - set(links)}"
    for href in links:
        assert (folder / href).is_file(), f"link {href} does not resolve"
    for tag, attrs in page.tags:
        url = attrs.get("src") if tag in ("img", "script") else attrs.get("href") if tag == "link" else None
        if url:
            assert not re.match(r"^(https?:)?//", url), f"the page loads {url} from another host"
            if not url.startswith("data:"):
                assert (folder / url.split("?")[0].split("#")[0]).is_file(), f"{url} does not resolve"


def test_the_pdf_has_the_page(lipids):
    folder, _ = lipids
    if find_chromium() is None:
        pytest.skip("Debian chromium is not installed: mrkit report prints no PDF (apt-get install chromium)")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed (.ci/run installs it)")
    pdf = folder / "report.pdf"
    assert pdf.is_file()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.count("\f")
    assert pages >= 3, f"{pages} pages"
    flat = " ".join(text.split())
    for words in ("LDL cholesterol", "Your data", "Causal estimates", "MR-PRESSO", "Leave-one-out"):
        assert words in flat
    assert "synthetic" not in flat.lower()


# --- what a user gets wrong: one line, exit 2, nothing written ----------------------------------------------------
def test_a_bad_file_gets_the_readers_one_line_message_and_no_folder(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.05\nrs2,abc,0.01,0.1,0.05\n")
    out = tmp_path / "out"
    assert main(["report", str(bad), "-o", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(bad) in err and "line 3" in err and "'bx'" in err
    assert not out.exists()

    exposure = tmp_path / "exposure.csv"  # two files: the reader of the exposure file speaks
    exposure.write_text("SNP,beta,se\nrs1,0.1,0.01\n")
    assert main(["report", str(exposure), str(bad), "-o", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1].startswith("mrkit report: error:") and str(exposure) in err
    assert not out.exists()


def test_unknown_methods_and_several_pairs_are_refused(tmp_path, capsys):
    table = tmp_path / "two.csv"
    table.write_text("SNP,exposure,outcome,beta.exposure,se.exposure,beta.outcome,se.outcome\n"
                     "rs1,A,Y,0.1,0.01,0.2,0.05\nrs2,A,Y,0.2,0.01,0.1,0.05\n"
                     "rs1,B,Y,0.1,0.01,0.2,0.05\nrs2,B,Y,0.3,0.01,0.1,0.05\n")
    assert main(["report", str(table), "-o", str(tmp_path / "o"), "--methods", "ivw,foo", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "foo" in err and "weighted_median" in err  # names itself and the known ids
    assert main(["report", str(table), "-o", str(tmp_path / "o"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "2 exposure-outcome pairs" in err and "exposure A" in err and "exposure B" in err
    assert not (tmp_path / "o").exists()


def test_a_folder_of_the_users_is_never_replaced(tmp_path, capsys, validation_dir):
    table = str(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    for force in ([], ["--force"]):
        assert main(["report", table, "-o", str(mine), "--no-pdf", *force]) == 2
        assert "holds no earlier report" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main(["report", table, "-o", str(a_file), "--no-pdf"]) == 2 and a_file.read_text() == "x"


def test_an_earlier_report_is_replaced_only_with_force_and_kept_when_the_new_one_fails(tmp_path, capsys,
                                                                                          monkeypatch, validation_dir):
    from mrkit.book import execute
    from mrkit.book.user_report import REPORT_INPUT

    table = str(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / REPORT_INPUT).write_text("{}")
    (earlier / "index.html").write_text("the earlier report")
    assert main(["report", table, "-o", str(earlier), "--no-pdf"]) == 2
    assert "--force" in capsys.readouterr().err

    def fails(run, *args, **kwargs):
        raise execute.RunFailed(f"run '{run.id}' failed (a stand-in for a failing notebook)", None)

    monkeypatch.setattr(execute, "execute_run", fails)
    assert main(["report", table, "-o", str(earlier), "--no-pdf", "--force"]) == 2
    assert "a stand-in for a failing notebook" in capsys.readouterr().err
    assert (earlier / "index.html").read_text() == "the earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier"]  # no half-built folder left beside it


def test_references_to_the_rest_of_the_book_become_text(tmp_path):
    import nbformat

    from mrkit.book.user_report import standalone

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "methods.md").write_text("# Methods\n\ntext\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("see {doc}`/book/methods`, the {term}`IVW <inverse-variance weighted>` "
                                      "and {doc}`the data <data>`"),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/markdown": "a {term}`Wald ratio` {cite:p}`bowden2016`"})])])
    out = standalone(nb, tmp_path)
    assert out.cells[0].source == "see “Methods” in the mrkit book, the IVW and the data"
    assert out.cells[1].outputs[0]["data"]["text/markdown"] == "a Wald ratio {cite:p}`bowden2016`"
    assert "{bibliography}" in out.cells[-1].source  # a cited work gets its reference on the page


def test_the_report_input_round_trips_exactly_and_refuses_another_file(tmp_path, validation_dir):
    """OwnData, the page's input, saves and loads the table with the same floats and log; a file of another
    format is refused naming it."""
    import pandas as pd

    from mrkit.gwas.io.harmonised import read_harmonised
    from mrkit.paper.direction import ResultFormatError, Trait
    from mrkit.paper.own_data import OwnData, Source, from_harmonised

    path = validation_dir / "harmonised" / "lipids_chd_ldlc.csv"
    table = from_harmonised(read_harmonised(path))
    rows = _floats(path)
    assert table["beta.exposure"].tolist() == [float(r["bx"]) for r in rows]  # renamed, not re-computed
    assert table.attrs["log"] == {"rows_read": 28, "excluded_by_mr_keep": 0, "kept": 28}
    own = OwnData(Trait("ldl", "LDL cholesterol", "mmol/L"), Trait("chd", "CHD", "log odds", True), table,
                  [Source("harmonised table", str(path), "0" * 64)], {"p_threshold": None})
    back = OwnData.load(own.save(tmp_path / "input.json"))
    pd.testing.assert_frame_equal(back.harmonised("ldl", "chd"), table)
    assert back.harmonised("ldl", "chd").attrs == table.attrs and back.trait("chd").binary
    assert back.sources == own.sources and back.planted("ldl", "chd") is None
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}')
    with pytest.raises(ResultFormatError, match="other.json"):
        OwnData.load(other)
