"""Les Houches input: a file the test writes (gg → gg at high pT) showered through the chain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sciood.cli import app
from sciood.errors import DataError
from sciood.generate.lhe import generate_lhe, read_lhe_header

SQRT_S = 13000.0


def write_lhe(path: Path, n: int, *, idwtup: int = 3, xsec_pb: float = 2.0, seed: int = 0,
              negative: float = 0.0) -> np.ndarray:
    """Write ``n`` momentum-conserving gg → gg events (pT 1.3–1.6 TeV); return XWGTUP [pb]."""
    rng = np.random.default_rng(seed)
    lines = ['<LesHouchesEvents version="1.0">', "<header>", "written by test_lhe", "</header>",
             "<init>", f" 2212 2212 6500 6500 0 0 0 0 {idwtup} 1",
             f" {xsec_pb:.6e} {0.01 * xsec_pb:.6e} {xsec_pb:.6e} 1", "</init>"]
    weights: list[float] = []
    while len(weights) < n:
        pt, (y3, y4), phi = rng.uniform(1300, 1600), rng.uniform(-1, 1, 2), rng.uniform(0, 6.28)
        x1 = pt * (np.exp(y3) + np.exp(y4)) / SQRT_S
        x2 = pt * (np.exp(-y3) + np.exp(-y4)) / SQRT_S
        if max(x1, x2) >= 1:
            continue
        e1, e2 = x1 * SQRT_S / 2, x2 * SQRT_S / 2
        w = xsec_pb
        if idwtup != 3:
            w = xsec_pb * rng.uniform(0.5, 1.5) * (-1.0 if rng.random() < negative else 1.0)
        weights.append(w)
        out = [(pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(y3), pt * np.cosh(y3)),
               (-pt * np.cos(phi), -pt * np.sin(phi), pt * np.sinh(y4), pt * np.cosh(y4))]
        # colour flow of gg -> gg: incoming (501,502) (503,501) -> outgoing (503,504) (504,502)
        lines += ["<event>", f" 4 1 {w:.10e} {pt:.6e} 7.546771e-03 1.0e-01",
                  f" 21 -1 0 0 501 502 0 0 {e1:.10e} {e1:.10e} 0 0 9",
                  f" 21 -1 0 0 503 501 0 0 {-e2:.10e} {e2:.10e} 0 0 9",
                  " 21 1 1 2 503 504 {:.10e} {:.10e} {:.10e} {:.10e} 0 0 9".format(*out[0]),
                  " 21 1 1 2 504 502 {:.10e} {:.10e} {:.10e} {:.10e} 0 0 9".format(*out[1]),
                  "</event>"]
    lines.append("</LesHouchesEvents>")
    path.write_text("\n".join(lines) + "\n")
    return np.array(weights)


def test_unweighted_file_round_trip(tmp_path):
    lhe = tmp_path / "gg.lhe"
    write_lhe(lhe, 30, xsec_pb=2.0)
    header = read_lhe_header(lhe)
    assert header.n_events == 30 and header.idwtup == 3 and header.sqrt_s == SQRT_S
    es = generate_lhe(lhe, out=tmp_path / "d", seed=4, mpi=False, label="gg")
    man = json.loads((tmp_path / "d" / "manifest.json").read_text())
    prov = man["provenance"]
    (sl,) = prov["slices"]
    # every event of the file was showered; sigma is the header's 2 pb = 2000 fb
    assert sl["n_generated"] == 30 and prov["lhe"]["n_showered"] == 30
    assert sl["sigma_fb"] == pytest.approx(2000.0, rel=1e-9)
    assert prov["lhe"]["header_sigma_fb"] == pytest.approx(2000.0)
    assert 20 <= len(es) <= 30  # 1.3-1.6 TeV partons: most leading jets pass 1.2 TeV
    np.testing.assert_allclose(es.weights, 2000.0 / 30)  # unweighted: sigma / N_read each
    assert set(es.labels) == {"gg"}
    assert (es.column("pt_j1") > 20).all() and (es.column("lead_pt") > 1200).all()
    assert np.median(es.column("mjj")) > 2000
    assert prov["lhe"]["sha256"] and prov["sqrt_s_gev"] == SQRT_S
    assert any("Beams:LHEF" in line for line in sl["pythia_lines"])
    # same command again: the finished dataset is read back, nothing regenerated
    again = generate_lhe(lhe, out=tmp_path / "d", seed=4, mpi=False, label="gg")
    np.testing.assert_array_equal(again.to_numpy(), es.to_numpy())


def test_weighted_file_keeps_event_weights_and_signs(tmp_path):
    lhe = tmp_path / "w.lhe"
    xwgt = write_lhe(lhe, 30, idwtup=-4, xsec_pb=1.0, seed=2, negative=0.3)
    assert (xwgt < 0).any()
    es = generate_lhe(lhe, out=tmp_path / "d", seed=1, mpi=False)
    (sl,) = es.provenance["slices"]
    # sigma = mean XWGTUP; each stored weight = XWGTUP [fb] / N_read (signs kept)
    assert sl["sigma_fb"] == pytest.approx(1e3 * xwgt.mean(), rel=1e-9)
    expect = 1e3 * xwgt / 30
    assert all(np.isclose(expect, w, rtol=1e-9, atol=0).any() for w in es.weights)
    assert (es.weights < 0).any() and (es.weights > 0).any()


def test_cli_lhe(tmp_path):
    lhe = tmp_path / "cli.lhe"
    write_lhe(lhe, 20)
    res = CliRunner().invoke(app, ["generate", "--lhe", str(lhe), "--out", str(tmp_path / "o"),
                                   "--no-mpi", "--quiet"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "manifest.json").is_file()
    res = CliRunner().invoke(app, ["info", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "sha256" in res.output and "sqrt_s_gev" in res.output  # the file's provenance
    res = CliRunner().invoke(app, ["generate", "qcd", "--lhe", str(lhe), "--out",
                                   str(tmp_path / "o2")])
    assert res.exit_code != 0 and "either" in res.output


@pytest.mark.parametrize("mutate, match", [
    (None, "does not exist"),
    (lambda t: "", "empty"),
    (lambda t: t.replace("<LesHouchesEvents", "<Something"), "not a Les Houches"),
    (lambda t: t.replace("<init>", "<nit>"), "no <init>"),
    (lambda t: t.replace(" 2212 2212 6500", " 2212 2212 x6500"), "expected numbers"),
    (lambda t: t.replace(" 4 1 ", " 5 1 ", 1), "NUP = 5"),
    (lambda t: t.rsplit("</event>", 1)[0], "not closed"),
    (lambda t: t.split("<event>")[0] + "</LesHouchesEvents>\n", "no <event>"),
])
def test_missing_or_garbled_file_is_refused(tmp_path, mutate, match):
    lhe = tmp_path / "bad.lhe"
    if mutate is not None:
        write_lhe(lhe, 3)
        lhe.write_text(mutate(lhe.read_text()))
    with pytest.raises(DataError, match=match):
        generate_lhe(lhe, out=tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_gzipped_file(tmp_path):
    import gzip

    plain = tmp_path / "g.lhe"
    write_lhe(plain, 10)
    packed = tmp_path / "g.lhe.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_lhe_header(packed).n_events == 10
    es = generate_lhe(packed, out=tmp_path / "d", mpi=False)
    assert es.provenance["slices"][0]["n_generated"] == 10 and len(es) > 0
