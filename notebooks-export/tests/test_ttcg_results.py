"""Unit tests of ttcg_results against a small results file made by the real `ttcg run`."""

from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import ttcg_results as tr

MARKETS = ["gsm8k/best-of-n", "gsm8k/chain-of-thought", "aime/majority"]
SHAPE = (7, 2, 2, 1, 1, 2, 1, 1, 1, 1, 1)       # tests/small.yaml
POINTS = int(np.prod(SHAPE))


# ---- opening ------------------------------------------------------------------------

def test_load_reads_header(res):
    assert res.markets == MARKETS
    assert res.groups == ["/" + m for m in MARKETS]
    assert res.completed and res.job == "notebooks-small"
    assert res.attrs["points_total"] == res.attrs["points_done"] == 3 * POINTS
    assert "notebooks-small" in res.spec
    assert len(res) == 3 and "aime/majority" in res and "gpqa/majority" not in res
    with pytest.raises(KeyError, match="markets: gsm8k/best-of-n"):
        res["nope"]


def test_load_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such results file"):
        tr.load(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(tr.FormatError, match="not an HDF5 file"):
        tr.load(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(tr.FormatError, match="expected 'ttcg-results'"):
        tr.load(tmp_path / "other.h5")


def test_load_refuses_other_format_versions(small_results, tmp_path):
    import shutil
    copy = tmp_path / "v2.h5"
    shutil.copy(small_results, copy)
    with h5py.File(copy, "r+") as f:
        f.attrs["format_version"] = np.int64(2)
    with pytest.raises(tr.FormatError, match="format_version 2"):
        tr.load(copy)


def test_market_metadata(res):
    m = res["gsm8k/best-of-n"]
    assert m.shape == SHAPE and m.point_count == POINTS and m.first_point == 0
    assert len(m.providers) == 9 and m.providers[-1] == "Qwen2.5-7B"
    assert m.levels == ["1", "4", "8", "16", "32", "64"]
    assert (m.dataset_name, m.method) == ("gsm8k", "best-of-n")
    assert m.own_alpha == 0.008 and m.published == {"margin": 0.25, "alpha": 0.008}
    assert m.alpha_for(2) == pytest.approx(0.016)
    with pytest.raises(KeyError, match="no alpha"):
        m.alpha_for(3)
    a = res["aime/majority"]
    assert a.providers == ["Llama-3.2-3B", "Llama-3.1-8B", "Qwen2-7B", "Qwen2.5-7B"]
    assert a.first_point == 2 * POINTS and a.published == {"margin": 0.25, "alpha": 0.05}


# ---- grid numbering -----------------------------------------------------------------

def test_point_numbering_round_trips(res):
    for m in res:
        for p in range(m.first_point, m.first_point + m.point_count, 5):
            ax = m.point_axes(p)
            assert m.point(**ax) == p
            assert res.market_of_point(p) is m
    m = res["gsm8k/best-of-n"]
    # row-major, the last axis fastest: seed varies fastest here, then alpha, margin, beta
    assert m.point(beta=1, margin=0.1, alpha=0.008, seed=1) == 1
    assert m.point(beta=1, margin=0.1, alpha_multiplier=2, seed=0) == 2
    assert m.point(beta=10, margin=0.1, alpha=0.008, seed=0) == 8
    assert m.point(beta=float("inf"), margin=0.25, alpha_multiplier=2, seed=1) == POINTS - 1
    assert m.point(beta="inf", margin="0.25", alpha_multiplier=2, seed=1) == POINTS - 1


def test_point_lookup_errors_are_clear(res):
    m = res["gsm8k/best-of-n"]
    with pytest.raises(KeyError, match="axis seed has 2 values"):
        m.point(beta=1000, margin=0.25, alpha=0.008)
    with pytest.raises(KeyError, match="beta = 5 is not on the axis"):
        m.point(beta=5, margin=0.25, alpha=0.008, seed=0)
    with pytest.raises(TypeError, match="unknown axes"):
        m.point(gamma=1)
    with pytest.raises(KeyError, match="not in market"):
        m.point_axes(POINTS)


# ---- the tidy frames ----------------------------------------------------------------

def test_frame_matches_ttcg_export(res, small_export):
    """Every column ttcg export writes agrees with the tidy frame, row by row."""
    ref = pd.read_csv(small_export, keep_default_na=False, dtype=str)
    f = res.frame()
    assert len(f) == len(ref) == 3 * POINTS
    assert list(f["point"]) == [int(x) for x in ref["point"]]
    for col in ["dataset", "method", "market", "value_curve", "rule", "order", "start"]:
        assert list(f[col]) == list(ref[col]), col
    assert list(f["status_text"]) == list(ref["status"])
    assert list(f["eq_profile"]) == list(ref["eq_profile"])
    for col in ["auction_winner", "auction_runner_up"]:
        assert [x if not pd.isna(x) else "" for x in f[col]] == [x if x not in ("", "-1") else "" for x in ref[col]], col
    numeric = ["beta", "margin", "alpha", "v0", "seed", "tolerance", "max_rounds", "converged", "steps",
               "rounds", "moves", "welfare_eq", "welfare_opt", "poa", "market_user_value", "market_price",
               "market_provider_utility", "auction_winner_level", "auction_payment", "auction_user_value",
               "auction_winner_utility", "auction_welfare", "equilibria_count", "poa_worst",
               "price_of_stability"]
    for col in numeric:
        mine = f[col].astype(float).to_numpy()
        theirs = ref[col].astype(float).to_numpy()
        np.testing.assert_array_equal(mine, theirs, err_msg=col)   # NaN == NaN, inf == inf


def test_frame_columns_and_types(res):
    m = res["aime/majority"]
    f = m.frame
    assert len(f) == POINTS and f["point"].is_unique
    assert list(f.columns[:4]) == ["market", "dataset", "method", "point"]
    assert set(tr.AXES) <= set(f.columns) and set(tr.SCALAR_RESULTS) <= set(f.columns)
    assert sorted(f["alpha_multiplier"].unique()) == [1.0, 2.0]
    assert set(f["auction_winner"].dropna()) <= set(m.providers)
    assert (f["status"] == 1).all() and (f["status_text"] == "done").all() and f["error"].isna().all()
    np.testing.assert_allclose(f["inefficiency_pct"], 100 * (f["poa"] - 1))
    # small markets enumerate every equilibrium (outputs.all_equilibria: auto)
    assert (f["equilibria_count"] >= 1).all()
    assert (f["poa_worst"] >= f["poa"] - 1e-12).all()
    assert res.frames.keys() == set(MARKETS)


def test_provider_frame(res):
    m = res["gsm8k/chain-of-thought"]
    pf = m.provider_frame
    assert len(pf) == POINTS * 3
    assert list(pf["provider"][:3]) == m.providers
    one = pf[pf["point"] == m.point(beta=1000, margin=0.25, alpha=0.008, seed=0)]
    eq = m.array("eq_profile")[m.index(beta=1000, margin=0.25, alpha=0.008, seed=0)]
    assert list(one["eq_level"]) == list(eq)
    assert list(one["eq_level_label"]) == [m.levels[i] for i in eq]
    # shares and the abstention share sum to 1
    shares = pf.groupby("point")["eq_share"].sum().to_numpy()
    finite = np.isfinite(m.frame["abstention_share"].to_numpy())
    np.testing.assert_allclose((shares + m.frame["abstention_share"].to_numpy())[finite], 1.0, atol=1e-12)
    assert len(res.provider_frame()) == POINTS * (9 + 3 + 4)


# ---- xarray -------------------------------------------------------------------------

def test_xarray_dataset_has_labelled_dimensions(res, small_results):
    m = res["gsm8k/best-of-n"]
    ds = m.ds
    assert isinstance(ds, xr.Dataset)
    assert ds["poa"].dims == tr.AXES
    assert ds["eq_share"].dims == (*tr.AXES, "provider")
    assert list(ds["provider"].values) == m.providers
    assert list(ds["alpha_multiplier"].values) == [1.0, 2.0]
    assert math.isinf(ds["beta"].values[-1])
    # the same numbers as the frame
    v = float(ds["poa"].sel(beta=1000, margin=0.25, alpha=0.008, seed=1).squeeze())
    f = m.frame
    row = f[(f.beta == 1000) & (f.margin == 0.25) & (f.alpha == 0.008) & (f.seed == 1)]
    assert v == float(row["poa"].iloc[0])
    assert res.dataset("gsm8k/best-of-n") is ds and set(res.datasets) == set(MARKETS)
    # and what the documented one-liner gives
    raw = xr.open_dataset(small_results, engine="h5netcdf", group="gsm8k/best-of-n")
    np.testing.assert_array_equal(raw["poa"].values, ds["poa"].values)
    raw.close()


def test_sel_and_published_slice(res):
    m = res["gsm8k/best-of-n"]
    da = m.sel("poa", beta=1000, margin=0.25, alpha_multiplier=1, seed_mean=True)
    assert da.ndim == 0
    f = m.frame
    rows = f[(f.beta == 1000) & (f.margin == 0.25) & (f.alpha == 0.008)]
    assert float(da) == pytest.approx(rows["poa"].mean(), rel=1e-12)
    curve = m.published_slice("poa")
    assert curve.dims == ("beta",) and list(curve["beta"].values[:3]) == [1, 10, 100]
    assert float(curve.sel(beta=1000)) == pytest.approx(float(da), rel=1e-12)
    eq = m.sel("eq_profile", beta=1000, margin=0.25, alpha=0.008, seed=0)
    assert eq.dims == ("provider",)


def test_slice(res):
    m = res["gsm8k/best-of-n"]
    d = m.slice("poa", "beta", "margin")
    assert list(d.columns) == ["beta", "margin", "poa", "seeds"] and len(d) == 7 * 2
    assert d.attrs["fixed"]["alpha"] == 0.008 and d.attrs["fixed"]["seed"] == "mean"
    ref = m.inefficiency_vs_beta(margin=0.1)
    np.testing.assert_allclose(d[d.margin == 0.1]["poa"].to_numpy(), ref["poa"].to_numpy(), rtol=1e-12)
    one = m.slice("eq_share", "beta", "provider", fixed={"margin": 0.25, "alpha_multiplier": 2}, seed=1)
    assert len(one) == 7 * 9 and "seeds" not in one.columns
    assert one.attrs["fixed"]["alpha"] == pytest.approx(0.016) and one.attrs["fixed"]["seed"] == 1
    f = m.provider_frame
    row = f[(f.beta == 100) & (f.margin == 0.25) & (f.alpha_multiplier == 2) & (f.seed == 1)
            & (f.provider == "Qwen2.5-3B")]
    assert one[(one.beta == 100) & (one.provider == "Qwen2.5-3B")]["eq_share"].iloc[0] == row["eq_share"].iloc[0]
    by_seed = m.slice("steps", "seed", "beta")
    assert len(by_seed) == 2 * 7 and "seed" not in by_seed.attrs["fixed"]
    with pytest.raises(KeyError, match="not an axis"):
        m.slice("poa", "gamma")
    with pytest.raises(KeyError, match="not a result"):
        m.slice("nope", "beta")


def test_inefficiency_vs_beta(res):
    m = res["gsm8k/best-of-n"]
    d = m.inefficiency_vs_beta()
    assert list(d.columns) == ["beta", "poa", "seeds", "inefficiency_pct"]
    assert list(d["beta"]) == [1, 10, 100, 1000, 1e4, 1e5, math.inf]
    assert (d["seeds"] == 2).all()
    np.testing.assert_allclose(d["inefficiency_pct"], 100 * (d["poa"] - 1))
    # the paper's shape: ~24% at small beta, 18-19% at 1000, under 3% above 1e4
    at = dict(zip(d["beta"], d["inefficiency_pct"]))
    assert 22 < at[1] < 26 and 17 < at[1000] < 20 and at[1e5] < 3
    both = res.inefficiency_vs_beta()
    assert set(both["market"]) == set(MARKETS) and len(both) == 21


# ---- market curves ------------------------------------------------------------------

@pytest.mark.parametrize("market", MARKETS)
def test_curves_reproduce_the_engine_values(res, market):
    """V_i(k) from market_json equals the engine's eq_value at every equilibrium."""
    m = res[market]
    pf = m.provider_frame
    for (margin, alpha), part in pf.groupby(["margin", "alpha"]):
        c = m.curves(alpha=alpha, margin=margin).set_index(["provider", "level_index"])
        expect = c.loc[list(zip(part["provider"], part["eq_level"])), "value"].to_numpy()
        np.testing.assert_allclose(part["eq_value"].to_numpy(), expect, rtol=1e-12, atol=1e-15)


def test_curves_formulas(res):
    m = res["gsm8k/best-of-n"]
    c = m.curves()
    assert len(c) == 9 * 6
    r = c[(c.provider == "Qwen2.5-7B") & (c.level == "1")].iloc[0]
    assert r.price == pytest.approx(292 * 0.1465 / 1e6)
    assert r.cost == pytest.approx(r.price / 1.25)
    assert r.quality == pytest.approx(0.008 * (0.1 + 0.9 * 0.906))
    assert r.value == pytest.approx(r.quality - r.price)
    c2 = m.curves(alpha_multiplier=2)
    np.testing.assert_allclose(c2["quality"], 2 * c["quality"])
    # a cost-priced market with its own margin and a power value curve
    mk = {"name": "x", "levels": ["L", "H"], "alpha": 2.0, "baseline": 0.0, "value_curve": {"power": 2},
          "margin": 0.25, "providers": [
              {"name": "A", "accuracy": [0.7, 0.9], "cost": [0.25, 1.0]},
              {"name": "B", "accuracy": [0.5, 0.95], "cost": [0.5, 10.0], "margin": 0.5}]}
    d = tr.market_curves(json.dumps(mk)).set_index(["provider", "level"])
    assert d.loc[("A", "H"), "price"] == pytest.approx(1.25)
    assert d.loc[("B", "L"), "price"] == pytest.approx(0.75)
    assert d.loc[("A", "L"), "value"] == pytest.approx(2 * 0.49 - 0.3125)
    assert tr.market_curves(mk, value_curve="exp:1").loc[0, "quality"] == pytest.approx(
        2 * math.expm1(0.7) / math.expm1(1))


# ---- trajectories -------------------------------------------------------------------

def test_trajectories_index(res):
    for m in res:
        t = m.trajectories
        assert len(t) == 8                                   # beta 1000 x 2 margins x 2 alphas x 2 seeds
        assert (t["beta"] == 1000).all()
        assert t["point"].is_monotonic_increasing


@pytest.mark.parametrize("market", MARKETS)
def test_trajectory_steps_end_at_the_equilibrium(res, market):
    m = res[market]
    for p in m.trajectories["point"]:
        s = m.trajectory(p)
        ax = m.point_axes(p)
        idx = m.index(**ax)
        assert len(s) == m.array("steps")[idx] + 1          # row 0 is the start profile
        assert pd.isna(s["visited"].iloc[0]) and s["step"].iloc[0] == 0
        assert set(s["visited"].iloc[1:]) <= set(m.providers) and s["visited"].iloc[1:].notna().all()
        assert all(s[f"level[{n}]"].iloc[0] == 0 for n in m.providers)   # start: lowest
        last = [int(s[f"level[{n}]"].iloc[-1]) for n in m.providers]
        assert last == list(m.array("eq_profile")[idx])
        assert s["inefficiency"].iloc[-1] == pytest.approx(m.array("poa")[idx], rel=1e-12)
        assert s["welfare"].iloc[-1] == pytest.approx(m.array("welfare_eq")[idx], rel=1e-12)
        shares = s[[f"share[{n}]" for n in m.providers]].iloc[-1].to_numpy()
        np.testing.assert_allclose(shares, m.array("eq_share")[idx], rtol=1e-12)
        assert int(s["moved"].sum()) == m.array("moves")[idx]
        assert s.attrs["point"] == p and s.attrs["beta"] == 1000
        # potential never decreases along improving moves (Theorem 1)
        pot = s["potential"].to_numpy()
        ok = np.isfinite(pot)
        assert (np.diff(pot[ok]) >= -1e-9).all()


def test_trajectory_by_axes_and_long_form(res):
    m = res["gsm8k/best-of-n"]
    a = m.trajectory(beta=1000, margin=0.25, alpha_multiplier=1, seed=0)
    b = res.trajectory("gsm8k/best-of-n", beta=1000, margin=0.25, alpha=0.008, seed=0)
    c = res.trajectory(point=a.attrs["point"])
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    long = m.trajectory_long(beta=1000, margin=0.25, alpha_multiplier=1, seed=0)
    assert len(long) == len(a) * 9
    assert set(long.columns) >= {"step", "provider", "level", "level_label", "share", "utility"}
    last = long[long.step == long.step.max()].set_index("provider")
    assert last.loc["Qwen2.5-7B", "share"] == a["share[Qwen2.5-7B]"].iloc[-1]
    with pytest.raises(KeyError, match="no trajectory recorded"):
        m.trajectory(beta=100, margin=0.25, alpha=0.008, seed=0)
    with pytest.raises(TypeError):
        m.trajectory(3, beta=1000)


# ---- Table 2 ------------------------------------------------------------------------

def test_table2(res):
    t = res.table2()
    assert list(t["market"]) == MARKETS
    assert (t["beta"] == 1000).all() and (t["margin"] == 0.25).all() and (t["seeds"] == 2).all()
    g = t.set_index("market")
    bon = g.loc["gsm8k/best-of-n"]
    # the paper: market 5.5 / 1.2 / 0.25 / 5.8, auction 7.1 / 0.32 / 0.18 / 7.3 ($1e-3)
    assert 1e3 * bon.market_user_value == pytest.approx(5.5, abs=0.2)
    assert 1e3 * bon.market_welfare == pytest.approx(5.8, abs=0.2)
    assert 1e3 * bon.auction_user_value == pytest.approx(7.1, abs=0.2)
    assert 1e3 * bon.auction_welfare == pytest.approx(7.3, abs=0.2)
    assert (bon.auction_winner, bon.auction_runner_up) == ("Qwen2.5-7B", "Qwen2.5-3B")
    cot = g.loc["gsm8k/chain-of-thought"]
    assert (cot.auction_winner, cot.auction_runner_up) == ("R1-D-Qwen-7B", "R1-D-Qwen-1.5B")
    for name in ["gsm8k/best-of-n", "gsm8k/chain-of-thought"]:
        r = g.loc[name]
        assert r.auction_user_value > r.market_user_value and r.auction_welfare > r.market_welfare
    # the same mean the frame gives
    f = res["aime/majority"].frame
    sub = f[(f.beta == 1000) & (f.margin == 0.25) & (f.alpha == 0.05)]
    assert g.loc["aime/majority", "market_price"] == pytest.approx(sub["market_price"].mean(), rel=1e-12)
