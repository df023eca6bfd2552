"""write_report on real inputs: sections, embedded figures, missing inputs, bad inputs."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from sciood.errors import ConfigError, DataError
from sciood.report import SECTIONS, write_report
from sciood.report import figures as F

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Collects section ids, image sources, external references and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        if tag == "img":
            self.images.append(a)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            v = a.get(key)
            if v and not v.startswith(("#", "data:")):
                self.refs.append(v)


def _parse(path: Path) -> tuple[_Page, str]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return page, text


def _section(text: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', text, flags=re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def test_report_is_self_contained_with_every_section(report_dir: Path, report_inputs) -> None:
    path = report_dir / "report.html"
    page, text = _parse(path)
    assert page.sections == [sid for sid, _ in SECTIONS]
    assert page.scripts == 0 and page.refs == []          # no network, no JS
    assert "http://" not in text and "https://" not in text
    assert 'class="error"' not in text                      # every figure was drawn
    assert 'class="empty"' not in text                      # every optional input was given
    # one ROC figure per signal + 3 metric heat maps + calibration, sculpting, 3 correlation
    # tables, one latent view (the same projection for every detector), one robustness table
    # for all detectors, hunt, injection
    n_sig = len(set(report_inputs.test_sets["sim"].labels[
        report_inputs.test_sets["sim"].is_signal]))
    assert len(page.images) == n_sig + 3 + 1 + 1 + 3 + 1 + 1 + 1 + 1
    for img in page.images:
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(PNG_MAGIC)
        w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (w, h) == (int(img["width"]), int(img["height"])) and w > 300
        assert img["alt"]


def test_report_numbers_come_from_the_inputs(report_dir: Path, report_inputs) -> None:
    _, text = _parse(report_dir / "report.html")
    summary = _section(text, "summary")
    sup = next(d for d in report_inputs.detectors if d.name == "supervised")
    auc = sup.table.get("wprime_wz_80", "all_backgrounds", "auc")[0]
    assert f"{auc:.3g}" in summary
    hunt = _section(text, "hunt")
    assert f"{report_inputs.hunt.local_z_observed:.3g}" in hunt
    assert f"{report_inputs.limit.observed:.3g}" in hunt
    assert "CLs upper limit" in hunt
    assert "mahalanobis cut" in hunt
    # the supervised classifier beats the unsupervised ones on its own signal (real training)
    mah = next(d for d in report_inputs.detectors if d.name == "mahalanobis")
    assert auc > mah.table.get("wprime_wz_80", "all_backgrounds", "auc")[0]
    prov = _section(text, "provenance")
    assert "tau21_j1" in prov and "sciood" in prov


def test_missing_optional_inputs_are_explained(tmp_path: Path, report_inputs) -> None:
    bare = [dataclasses.replace(d, robustness=None, probability=None, sculpting=None,
                                correlations=None, top_anomalies=None, latent=None)
            for d in report_inputs.detectors]
    inputs = dataclasses.replace(
        report_inputs, detectors=bare, test_sets={"sim": report_inputs.test_sets["sim"]},
        hunt=None, hunt_baseline=None, limit=None, injection=None, notes=[], results={},
    )
    for d in bare:
        d.scores = {"sim": d.scores["sim"]}
    _, text = _parse(write_report(tmp_path, inputs))
    assert 'class="error"' not in text
    for sid in ("calibration", "sculpting", "failure", "latent", "robustness", "hunt",
                "injection"):
        body = _section(text, sid)
        assert 'class="empty"' in body and "<img" not in body, sid
    assert "not probabilities" in _section(text, "calibration")
    assert "data" in _section(text, "robustness")
    assert "<img" in _section(text, "roc")


def test_bad_inputs_raise_clear_errors(tmp_path: Path, report_inputs) -> None:
    with pytest.raises(DataError, match="'sim'"):
        write_report(tmp_path, dataclasses.replace(report_inputs, test_sets={
            "data": report_inputs.test_sets["data"]}))
    d0 = report_inputs.detectors[0]
    short = dataclasses.replace(d0, scores={"sim": d0.scores["sim"][:-1]})
    with pytest.raises(DataError, match="one score per test event"):
        write_report(tmp_path, dataclasses.replace(report_inputs, detectors=[short]))
    with pytest.raises(DataError, match="unique"):
        write_report(tmp_path, dataclasses.replace(report_inputs, detectors=[d0, d0]))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        write_report(a_file, report_inputs)
    assert not (tmp_path / "report.html").exists()   # nothing written on bad input


def test_figures_are_labelled(report_inputs) -> None:
    sim = report_inputs.test_sets["sim"]
    roc = F.roc_sic(report_inputs.detectors, sim, "wprime_wz_80", n_bootstrap=5)
    a_roc, a_sic = roc.axes
    assert a_roc.get_yscale() == "log"
    assert "1/ε_B" in a_roc.get_ylabel() and "SIC" in a_sic.get_ylabel()
    labels = [t.get_text() for t in a_roc.get_legend().get_texts()]
    assert any(t.startswith("supervised (AUC") for t in labels)
    lo, hi = a_roc.get_ylim()
    assert np.isfinite([lo, hi]).all() and hi < 1e6  # infinite rejections are not drawn
    assert len(a_roc.collections) == 3                 # one bootstrap band per detector
    bare = F.roc_sic(report_inputs.detectors, sim, "wprime_wz_80", n_bootstrap=0)
    assert len(bare.axes[0].collections) == 0
    assert len(bare.axes[0].lines) == len(a_roc.lines)
    hunt = F.hunt(report_inputs.hunt, report_inputs.hunt_baseline, detector="mahalanobis")
    assert any("GeV" in ax.get_xlabel() for ax in hunt.axes)
    assert any(ax.get_yscale() == "log" for ax in hunt.axes)
    sc = F.sculpting(report_inputs.detectors, sim)
    assert sc.axes[-1].get_xlabel() == "mjj [GeV]"
    assert F.to_png(F.injection(report_inputs.injection)).startswith(PNG_MAGIC)
    with pytest.raises(DataError, match="no events of signal"):
        F.roc_sic(report_inputs.detectors, sim, "qstar_qg")


def test_stylesheet_is_package_data_inlined(report_dir: Path) -> None:
    from importlib.resources import files

    from sciood.report.page import stylesheet

    css = files("sciood.report").joinpath("report.css")
    assert css.is_file()
    text = css.read_text(encoding="utf-8")
    assert text == stylesheet() and "p.empty{" in text and "div.error{" in text
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    m = re.search(r"<style>(.*?)</style>", page, flags=re.S)
    assert m and m.group(1).strip() == text.strip()


def test_old_import_paths_are_the_new_objects() -> None:
    import sciood.report.html as old
    import sciood.report.page as page
    from sciood.report.sections import BUILDERS

    for name in ("REPORT_NAME", "SECTIONS", "render_html", "write_report"):
        assert getattr(old, name) is getattr(page, name)
    assert old.__all__ == ["REPORT_NAME", "SECTIONS", "render_html", "write_report"]
    assert list(BUILDERS) == [sid for sid, _ in SECTIONS]
    assert F.__all__ == ["calibration", "correlations", "hep_style", "hunt", "injection",
                         "latent", "metric_matrix", "robustness", "roc_sic", "sculpting",
                         "to_png"]
