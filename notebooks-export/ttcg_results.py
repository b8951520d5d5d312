"""Read ttcg results files (HDF5, format version 1) into pandas and xarray.

The layout is docs/results-format.md. One results file holds one group per market; every
result dataset has the eleven grid axes as dimensions (plus ``provider`` for per-provider
datasets), and optional ``trajectories/`` and ``errors/`` subgroups.

    import ttcg_results as tr
    res = tr.load("results.h5")
    res.markets                                  # ['gsm8k/majority', 'gsm8k/best-of-n', ...]
    m = res["gsm8k/best-of-n"]
    m.frame                                      # tidy pandas: one row per grid point
    m.provider_frame                             # tidy pandas: one row per grid point and provider
    m.ds                                         # xarray.Dataset with labelled dimensions
    m.published_slice("poa")                     # seed-mean PoA over beta at margin 0.25, alpha 0.008
    m.trajectory(beta=1000, margin=0.25, alpha_multiplier=1, seed=0)   # a frame of steps
    m.curves()                                   # value per provider and level (the paper's Figure 1)
    res.table2()                                 # market versus auction at beta = 1000 (Table 2)

Money is in dollars per query everywhere; the helpers named ``*_1e3`` or the plots scale it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Mapping

import h5py
import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "AXES",
    "SCALAR_RESULTS",
    "PROVIDER_RESULTS",
    "FormatError",
    "Results",
    "Market",
    "load",
    "market_curves",
    "slug",
]

FORMAT = "ttcg-results"
FORMAT_VERSION = 1

#: The eleven grid axes, in storage order (the last varies fastest).
AXES = ("beta", "margin", "alpha", "v0", "value_curve", "seed",
        "rule", "order", "start", "tolerance", "max_rounds")
NUMERIC_AXES = ("beta", "margin", "alpha", "v0", "seed", "tolerance", "max_rounds")
STRING_AXES = ("value_curve", "rule", "order", "start")

#: Result datasets with one value per grid point, in the order of the tidy frame.
SCALAR_RESULTS = (
    "status", "converged", "steps", "rounds", "moves", "last_move_step",
    "abstention_share", "welfare_eq", "welfare_opt", "poa",
    "market_user_value", "market_price", "market_provider_utility",
    "auction_winner", "auction_runner_up", "auction_winner_level",
    "auction_payment", "auction_user_value", "auction_winner_utility", "auction_welfare",
    "equilibria_count", "equilibria_worst_welfare", "equilibria_best_welfare",
    "poa_worst", "price_of_stability",
)
#: Result datasets with one value per grid point and provider.
PROVIDER_RESULTS = ("eq_profile", "eq_share", "eq_utility", "eq_value", "opt_profile")
#: Integer results that index providers (-1: none); the tidy frame turns them into names.
PROVIDER_INDEX_RESULTS = ("auction_winner", "auction_runner_up")

STATUS = {0: "not computed", 1: "done", 2: "failed"}


class FormatError(ValueError):
    """The file is not a ttcg results file this module can read."""


def slug(name: str) -> str:
    """A file-name-safe form of a market name: ``gsm8k/best-of-n`` -> ``gsm8k_best-of-n``."""
    return "".join(c if (c.isalnum() or c in "._+-") else "_" for c in name)


def _text(x: Any) -> str:
    if isinstance(x, bytes):
        return x.decode("utf-8")
    return str(x)


def _texts(x: Any) -> list[str]:
    if x is None:
        return []
    if isinstance(x, (str, bytes)):
        return [_text(x)]
    return [_text(v) for v in np.asarray(x).ravel()]


def _scalar(x: Any) -> Any:
    if isinstance(x, np.ndarray) and x.shape == ():
        x = x[()]
    if isinstance(x, np.ndarray) and x.size == 1:
        x = x.ravel()[0]
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


# --------------------------------------------------------------------------------------
# Market curves (docs/model.md section 1)
# --------------------------------------------------------------------------------------

def _value_curve(spec: Any):
    """``f`` of the quality formula from a market's ``value_curve`` (text or mapping)."""
    if spec is None:
        spec = "linear"
    if isinstance(spec, Mapping):
        (kind, param), = spec.items()
    else:
        text = str(spec).strip()
        if text == "linear":
            return lambda a: a
        kind, _, param = text.partition(":")
    kind, param = str(kind).strip(), float(param)
    if kind == "power":
        return lambda a: np.power(a, param)
    if kind == "exp":
        return lambda a: np.expm1(param * a) / np.expm1(param)
    raise FormatError(f"unknown value curve {spec!r}; expected linear, power:G or exp:K")


def market_curves(market: Mapping[str, Any] | str, *, alpha: float | None = None,
                  margin: float | None = None, baseline: float | None = None,
                  value_curve: Any = None) -> pd.DataFrame:
    """Per provider and level: accuracy, tokens, price, cost, quality, user value, welfare.

    ``market`` is the market as a mapping or as the JSON text of a group's ``market_json``
    attribute. ``alpha``, ``margin``, ``baseline`` and ``value_curve`` override the market's
    own settings (a provider's own ``margin`` still wins, as in ``ttcg solve``). Formulas of
    docs/model.md section 1: ``q = alpha (b + (1 - b) f(a))``; token-priced providers have
    ``p = T * price_per_mtok / 1e6`` and ``c = p / (1 + m)``; cost-priced ones ``p = (1 + m) c``;
    ``V = q - p`` (user value) and ``W = q - c`` (welfare contribution). Dollars per query.
    """
    if isinstance(market, (str, bytes)):
        market = json.loads(_text(market))
    levels = [str(x) for x in market["levels"]]
    a_ = float(market["alpha"] if alpha is None else alpha)
    b_ = float(market.get("baseline", 0.0) if baseline is None else baseline)
    m_market = float(market.get("margin", 0.25) if margin is None else margin)
    f = _value_curve(market.get("value_curve", "linear") if value_curve is None else value_curve)
    rows = []
    for order, p in enumerate(market["providers"]):
        acc = np.asarray(p["accuracy"], dtype=float)
        m = float(p["margin"]) if p.get("margin") is not None else m_market
        if p.get("tokens") is not None:
            tokens = np.asarray(p["tokens"], dtype=float)
            price = tokens * float(p["price_per_mtok"]) / 1e6
            cost = price / (1.0 + m)
        else:
            tokens = np.full(len(levels), np.nan)
            cost = np.asarray(p["cost"], dtype=float)
            price = (1.0 + m) * cost
        quality = a_ * (b_ + (1.0 - b_) * f(acc))
        for k, level in enumerate(levels):
            rows.append({
                "provider": p["name"], "provider_index": order,
                "level_index": k, "level": level,
                "accuracy": acc[k], "tokens": tokens[k],
                "price": price[k], "cost": cost[k], "margin": m,
                "quality": quality[k], "value": quality[k] - price[k],
                "welfare": quality[k] - cost[k],
            })
    df = pd.DataFrame(rows)
    df.attrs.update(alpha=a_, baseline=b_, margin=m_market, market=market.get("name"))
    return df


# --------------------------------------------------------------------------------------
# One market group
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Axis:
    name: str
    values: np.ndarray      # float64 / int64 values, or str objects for string axes

    def __len__(self) -> int:
        return len(self.values)

    def index_of(self, value: Any) -> int:
        """The index of ``value`` on this axis: exact for strings, ``isclose`` for numbers."""
        vals = self.values
        if self.name in STRING_AXES:
            hits = [i for i, v in enumerate(vals) if str(v) == str(value)]
        else:
            x = float(value)
            if math.isinf(x):
                hits = [i for i, v in enumerate(vals) if math.isinf(float(v)) and (float(v) > 0) == (x > 0)]
            else:
                hits = [i for i, v in enumerate(vals)
                        if math.isfinite(float(v)) and math.isclose(float(v), x, rel_tol=1e-9, abs_tol=1e-15)]
        if not hits:
            shown = ", ".join(_fmt(v) for v in vals[:12]) + (", ..." if len(vals) > 12 else "")
            raise KeyError(f"{self.name} = {value!r} is not on the axis ({shown})")
        return hits[0]


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return "inf" if math.isinf(v) else f"{float(v):.6g}"
    return str(v)


class Market:
    """One market group of a results file: metadata, frames, xarray dataset, helpers."""

    def __init__(self, results: "Results", name: str, group: str):
        self._results = results
        self.name = name
        self.group = group.strip("/")
        g = results._h5[self.group]
        at = g.attrs
        self.attrs = {k: _scalar(v) if not isinstance(v, np.ndarray) or v.size <= 1 else _texts(v)
                      for k, v in at.items()}
        self.dataset_name = _text(at.get("dataset", ""))
        self.method = _text(at.get("method", ""))
        self.reference = _text(at.get("reference", name))
        self.providers: list[str] = _texts(at["providers"])
        self.levels: list[str] = _texts(at["levels"])
        self.first_point = int(_scalar(at["first_point"]))
        self.point_count = int(_scalar(at["point_count"]))
        self.market_json: dict = json.loads(_text(at["market_json"]))
        self.axes: dict[str, _Axis] = {}
        for ax in AXES:
            raw = g[ax][()]
            if ax in STRING_AXES:
                vals = np.array(_texts(raw), dtype=object)
            else:
                vals = np.asarray(raw)
            self.axes[ax] = _Axis(ax, vals)
        self.shape = tuple(len(self.axes[a]) for a in AXES)
        if int(np.prod(self.shape)) != self.point_count:
            raise FormatError(f"{self.group}: axes give {int(np.prod(self.shape))} points, "
                              f"point_count says {self.point_count}")

    def __repr__(self) -> str:
        dims = ", ".join(f"{a}={n}" for a, n in zip(AXES, self.shape) if n > 1)
        return (f"<Market {self.name}: {len(self.providers)} providers x {len(self.levels)} levels, "
                f"{self.point_count} points ({dims})>")

    # ---- settings --------------------------------------------------------------------
    @property
    def own_alpha(self) -> float:
        """The market's own alpha (market_json); the alpha axis multiplier 1."""
        return float(self.market_json["alpha"])

    @property
    def own_margin(self) -> float:
        return float(self.market_json.get("margin", 0.25))

    def axis(self, name: str) -> np.ndarray:
        """The values of one axis, in storage order."""
        return self.axes[name].values

    def _closest(self, name: str, target: float) -> Any:
        vals = np.asarray(self.axes[name].values, dtype=float)
        return self.axes[name].values[int(np.argmin(np.abs(vals - target)))]

    @property
    def published(self) -> dict[str, Any]:
        """The grid values closest to the market's own margin and alpha (``ttcg inspect`` uses the same)."""
        return {"margin": float(self._closest("margin", self.own_margin)),
                "alpha": float(self._closest("alpha", self.own_alpha))}

    def alpha_for(self, multiplier: float) -> float:
        """The alpha axis value that is ``multiplier`` x the market's own alpha."""
        target = multiplier * self.own_alpha
        value = float(self._closest("alpha", target))
        if not math.isclose(value, target, rel_tol=1e-9):
            raise KeyError(f"{self.name}: no alpha = {multiplier} x {self.own_alpha} on the axis "
                           f"({', '.join(_fmt(v) for v in self.axes['alpha'].values)})")
        return value

    # ---- grid numbering --------------------------------------------------------------
    def _resolve(self, sel: Mapping[str, Any]) -> dict[str, Any]:
        sel = dict(sel)
        if "alpha_multiplier" in sel:
            mult = sel.pop("alpha_multiplier")
            if mult is not None:
                if sel.get("alpha") is not None:
                    raise TypeError("give alpha or alpha_multiplier, not both")
                sel["alpha"] = self.alpha_for(mult)
        unknown = set(sel) - set(AXES)
        if unknown:
            raise TypeError(f"unknown axes {sorted(unknown)}; axes are {', '.join(AXES)} (and alpha_multiplier)")
        return {k: v for k, v in sel.items() if v is not None}

    def index(self, **sel: Any) -> tuple[int, ...]:
        """The grid index (one per axis) of a point. Axes of length 1 may be left out."""
        sel = self._resolve(sel)
        idx = []
        for a in AXES:
            ax = self.axes[a]
            if a in sel:
                idx.append(ax.index_of(sel[a]))
            elif len(ax) == 1:
                idx.append(0)
            else:
                raise KeyError(f"{self.name}: axis {a} has {len(ax)} values; say which "
                               f"({', '.join(_fmt(v) for v in ax.values[:8])}{', ...' if len(ax) > 8 else ''})")
        return tuple(idx)

    def point(self, **sel: Any) -> int:
        """The global point index (as in ``errors/point``, ``trajectories/point`` and ``ttcg export``)."""
        return self.first_point + int(np.ravel_multi_index(self.index(**sel), self.shape))

    def point_axes(self, point: int) -> dict[str, Any]:
        """The axis values of a global point index of this market."""
        local = int(point) - self.first_point
        if not 0 <= local < self.point_count:
            raise KeyError(f"point {point} is not in market {self.name} "
                           f"({self.first_point} ..< {self.first_point + self.point_count})")
        idx = np.unravel_index(local, self.shape)
        return {a: _scalar(self.axes[a].values[i]) for a, i in zip(AXES, idx)}

    # ---- raw arrays ------------------------------------------------------------------
    def array(self, name: str) -> np.ndarray:
        """A result dataset as a numpy array in storage order (axes, then provider)."""
        return self._results._h5[self.group][name][()]

    # ---- tidy frames -----------------------------------------------------------------
    def _axis_columns(self) -> dict[str, np.ndarray]:
        idx = np.unravel_index(np.arange(self.point_count), self.shape)
        cols: dict[str, np.ndarray] = {}
        for a, i in zip(AXES, idx):
            vals = self.axes[a].values
            cols[a] = vals[i] if a in STRING_AXES else np.asarray(vals)[i]
        return cols

    @cached_property
    def frame(self) -> pd.DataFrame:
        """One row per grid point: market, point, the eleven axes, alpha_multiplier, every
        scalar result, winner / runner-up names (missing when none), and the equilibrium profile (space-separated
        level indices, as ``ttcg export`` writes it). Money in dollars per query."""
        n = self.point_count
        cols: dict[str, Any] = {
            "market": np.full(n, self.name, dtype=object),
            "dataset": np.full(n, self.dataset_name, dtype=object),
            "method": np.full(n, self.method, dtype=object),
            "point": self.first_point + np.arange(n, dtype=np.int64),
        }
        cols.update(self._axis_columns())
        cols["alpha_multiplier"] = np.round(cols["alpha"] / self.own_alpha, 12)
        g = self._results._h5[self.group]
        for r in SCALAR_RESULTS:
            if r in g:
                cols[r] = g[r][()].reshape(n)
        names = np.array(list(self.providers) + [None], dtype=object)
        for r in PROVIDER_INDEX_RESULTS:
            if r in cols:
                i = cols[r].astype(np.int64)
                cols[r] = names[np.where(i < 0, len(self.providers), i)]
        if "auction_winner_level" in cols:
            lv = np.array(list(self.levels) + [None], dtype=object)
            i = cols["auction_winner_level"].astype(np.int64)
            cols["auction_winner_level_label"] = lv[np.where(i < 0, len(self.levels), i)]
        if "eq_profile" in g:
            prof = g["eq_profile"][()].reshape(n, len(self.providers))
            cols["eq_profile"] = np.array([" ".join(map(str, row)) for row in prof], dtype=object)
        df = pd.DataFrame(cols)
        df["status_text"] = df["status"].map(STATUS)
        df["inefficiency_pct"] = 100.0 * (df["poa"] - 1.0)
        err = self.errors
        if len(err):
            df = df.merge(err[["point", "message"]].rename(columns={"message": "error"}), on="point", how="left")
        else:
            df["error"] = None
        return df

    @cached_property
    def provider_frame(self) -> pd.DataFrame:
        """One row per grid point and provider: the axes, then eq_level (index and label),
        eq_share, eq_utility, eq_value and the welfare-maximising level opt_level."""
        n, p = self.point_count, len(self.providers)
        g = self._results._h5[self.group]
        cols: dict[str, Any] = {"market": np.full(n * p, self.name, dtype=object),
                                "point": np.repeat(self.first_point + np.arange(n, dtype=np.int64), p)}
        for a, v in self._axis_columns().items():
            cols[a] = np.repeat(v, p)
        cols["alpha_multiplier"] = np.round(cols["alpha"] / self.own_alpha, 12)
        cols["provider"] = np.tile(np.array(self.providers, dtype=object), n)
        lv = np.array(list(self.levels) + [None], dtype=object)
        for r, out in (("eq_profile", "eq_level"), ("eq_share", "eq_share"), ("eq_utility", "eq_utility"),
                       ("eq_value", "eq_value"), ("opt_profile", "opt_level")):
            if r in g:
                v = g[r][()].reshape(n * p)
                cols[out] = v
                if out.endswith("_level"):
                    i = v.astype(np.int64)
                    cols[out + "_label"] = lv[np.where(i < 0, len(self.levels), i)]
        return pd.DataFrame(cols)

    @cached_property
    def errors(self) -> pd.DataFrame:
        """Failed points: point, the axes, message."""
        g = self._results._h5[self.group]
        if "errors" not in g or "point" not in g["errors"]:
            return pd.DataFrame(columns=["point", "message"])
        pts = g["errors"]["point"][()]
        msgs = _texts(g["errors"]["message"][()]) if len(pts) else []
        rows = [{"point": int(pt), **self.point_axes(pt), "message": m} for pt, m in zip(pts, msgs)]
        return pd.DataFrame(rows, columns=["point", *AXES, "message"])

    # ---- xarray ----------------------------------------------------------------------
    @cached_property
    def ds(self) -> xr.Dataset:
        """The group as an xarray.Dataset (h5netcdf), every axis a labelled dimension, plus an
        ``alpha_multiplier`` coordinate on the alpha dimension. Storage order: beta is not
        sorted when a spec lists extra values after a logspace; use ``.sortby("beta")``."""
        ds = xr.open_dataset(self._results.path, engine="h5netcdf", group=self.group,
                             decode_cf=False, mask_and_scale=False)
        ds = ds.assign_coords(alpha_multiplier=("alpha", np.round(ds["alpha"].values / self.own_alpha, 12)))
        return ds

    def sel(self, var: str | None = None, *, seed_mean: bool = False, squeeze: bool = True,
            **sel: Any) -> xr.DataArray | xr.Dataset:
        """Select by axis values (floats matched with ``isclose``; ``alpha_multiplier=`` allowed).

        Axes not named stay; with ``squeeze`` the length-1 axes are dropped. With
        ``seed_mean`` the seed axis is averaged over points that are done (status 1)."""
        sel = self._resolve(sel)
        ds = self.ds if var is None else self.ds[[var, "status"]] if var != "status" else self.ds[["status"]]
        isel = {a: self.axes[a].index_of(v) for a, v in sel.items()}
        ds = ds.isel(isel)
        if seed_mean and "seed" in ds.dims:
            done = ds["status"] == 1
            ds = ds.where(done).mean("seed", skipna=True, keep_attrs=True) if var != "status" else ds.mean("seed")
        if squeeze:
            ds = ds.squeeze(drop=True)
        if var is None:
            return ds
        return ds[var]

    def published_slice(self, var: str = "poa", beta: float | None = None, seed_mean: bool = True
                        ) -> xr.DataArray:
        """``var`` at the market's published margin and alpha (``published``), mean over seeds,
        other single-valued axes dropped, sorted by beta (or at one ``beta``)."""
        da = self.sel(var, seed_mean=seed_mean, beta=beta, **self.published)
        if "beta" in da.dims:
            da = da.sortby("beta")
        return da

    def slice(self, var: str, x: str, hue: str | None = None, fixed: Mapping[str, Any] | None = None,
              seed: Any = "mean") -> pd.DataFrame:
        """A tidy frame of ``var`` over axis ``x`` (and ``hue``, an axis or ``provider``).

        Every other axis is held at one value: the one in ``fixed`` (``alpha_multiplier`` is
        allowed), else the published margin / alpha, else its first value. ``seed="mean"``
        averages over seeds (done points only); an integer picks one seed. Columns: x, hue,
        var (and ``seeds`` when averaged); ``attrs["fixed"]`` says where the rest was held."""
        fixed = self._resolve(dict(fixed or {}))
        keep = {x} | ({hue} if hue else set())
        for a in keep - {"provider"}:
            if a not in AXES:
                raise KeyError(f"{a!r} is not an axis; axes are {', '.join(AXES)}")
        if var not in self.ds.data_vars:
            raise KeyError(f"{var!r} is not a result of {self.name}; results: {', '.join(self.ds.data_vars)}")
        if "provider" in keep and "provider" not in self.ds[var].dims:
            raise KeyError(f"{var!r} has no provider dimension")
        isel, held = {}, {}
        for a in AXES:
            if a in keep or (a == "seed" and seed == "mean"):
                continue
            if a == "seed":
                value = seed
            elif a in fixed:
                value = fixed[a]
            elif a in ("margin", "alpha"):
                value = self.published[a]
            else:
                value = self.axes[a].values[0]
            isel[a] = self.axes[a].index_of(value)
            held[a] = _scalar(self.axes[a].values[isel[a]])
        da = self.ds[var].isel(isel)
        st = self.ds["status"].isel(isel)
        if "seed" in da.dims and "seed" not in keep:
            ok = st == 1
            if np.issubdtype(da.dtype, np.floating):
                ok = ok & np.isfinite(da)
            n = ok.sum("seed")
            da = da.astype(float).where(ok).mean("seed", skipna=True)
        else:
            n = None
            da = da.where(st == 1) if np.issubdtype(da.dtype, np.floating) else da
        other = [d for d in da.dims if d not in keep]
        da = da.squeeze(other, drop=True)
        order = [x] + ([hue] if hue else [])
        df = da.transpose(*order).to_dataframe(name=var).reset_index()
        df = df[[*order, var]]
        if n is not None:
            n = n.squeeze([d for d in n.dims if d not in keep], drop=True).broadcast_like(da)
            df["seeds"] = n.transpose(*order).values.ravel().astype(int)
        if seed == "mean" and "seed" not in keep:
            held["seed"] = "mean"
        df.attrs.update(market=self.name, var=var, x=x, hue=hue, fixed=held)
        if x not in STRING_AXES and x != "provider":
            df = df.sort_values(order, kind="stable").reset_index(drop=True)
        return df

    def inefficiency_vs_beta(self, margin: float | None = None, alpha: float | None = None,
                             alpha_multiplier: float | None = None) -> pd.DataFrame:
        """Seed-mean (PoA - 1) in percent over beta (sorted; inf last) at the published
        settings, or at the given margin / alpha. Columns: beta, poa, inefficiency_pct,
        seeds (how many seeds had a finite PoA)."""
        pub = self.published
        margin = pub["margin"] if margin is None else margin
        if alpha is None and alpha_multiplier is None:
            alpha = pub["alpha"]
        da = self.sel("poa", margin=margin, alpha=alpha, alpha_multiplier=alpha_multiplier, squeeze=False)
        st = self.sel("status", margin=margin, alpha=alpha, alpha_multiplier=alpha_multiplier, squeeze=False)
        other = [d for d in da.dims if d not in ("beta", "seed")]
        da, st = da.squeeze(other, drop=True), st.squeeze(other, drop=True)
        ok = (st == 1) & np.isfinite(da)
        mean = da.where(ok).mean("seed", skipna=True)
        df = pd.DataFrame({"beta": da["beta"].values.astype(float), "poa": mean.values,
                           "seeds": ok.sum("seed").values.astype(int)})
        df["inefficiency_pct"] = 100.0 * (df["poa"] - 1.0)
        df = df.sort_values("beta", kind="stable").reset_index(drop=True)
        df.attrs.update(market=self.name, margin=float(margin),
                        alpha=float(alpha if alpha is not None else self.alpha_for(alpha_multiplier)))
        return df

    # ---- market curves ---------------------------------------------------------------
    def curves(self, alpha: float | None = None, margin: float | None = None,
               alpha_multiplier: float | None = None) -> pd.DataFrame:
        """Value per provider and level from ``market_json`` (docs/model.md section 1), at the
        market's own settings or the given alpha / margin. See :func:`market_curves`."""
        if alpha_multiplier is not None:
            alpha = alpha_multiplier * self.own_alpha
        df = market_curves(self.market_json, alpha=alpha, margin=margin)
        df.insert(0, "market", self.name)
        return df

    # ---- trajectories ----------------------------------------------------------------
    @cached_property
    def trajectories(self) -> pd.DataFrame:
        """Recorded trajectories: trajectory index, point, first_row, row_count and the axes."""
        g = self._results._h5[self.group]
        cols = ["trajectory", "point", "first_row", "row_count", *AXES, "alpha_multiplier"]
        if "trajectories" not in g:
            return pd.DataFrame(columns=cols)
        t = g["trajectories"]
        pts, fr, rc = t["point"][()], t["first_row"][()], t["row_count"][()]
        rows = []
        for i, (pt, a, c) in enumerate(zip(pts, fr, rc)):
            ax = self.point_axes(pt)
            rows.append({"trajectory": i, "point": int(pt), "first_row": int(a), "row_count": int(c), **ax,
                         "alpha_multiplier": round(ax["alpha"] / self.own_alpha, 12)})
        return pd.DataFrame(rows, columns=cols).sort_values("point").reset_index(drop=True)

    def trajectory(self, point: int | None = None, **sel: Any) -> pd.DataFrame:
        """The steps of one recorded trajectory, by global ``point`` or by axis values
        (``beta=1000, margin=0.25, alpha_multiplier=1, seed=0``).

        One row per step t (row 0 is the start profile): visited (provider name, missing at
        the start), moved, welfare, potential, inefficiency (max W / W at that step), then per
        provider ``level[NAME]`` (level index), ``share[NAME]`` and ``utility[NAME]``.
        ``frame.attrs`` holds the point, its axes, providers and levels."""
        if point is None:
            point = self.point(**sel)
        elif sel:
            raise TypeError("give a point or axis values, not both")
        tr = self.trajectories
        hit = tr[tr["point"] == int(point)]
        if hit.empty:
            have = ", ".join(str(p) for p in tr["point"].head(8))
            raise KeyError(f"{self.name}: no trajectory recorded for point {point} "
                           f"({self.point_axes(point)}); recorded: {len(tr)} points{': ' + have if have else ''}")
        a, c = int(hit["first_row"].iloc[0]), int(hit["row_count"].iloc[0])
        t = self._results._h5[self.group]["trajectories"]
        rows = slice(a, a + c)
        visited = t["visited"][rows]
        names = np.array(list(self.providers) + [None], dtype=object)
        df = pd.DataFrame({
            "step": np.arange(c),
            "visited": names[np.where(visited < 0, len(self.providers), visited)],
            "moved": t["moved"][rows].astype(bool),
            "welfare": t["welfare"][rows],
            "potential": t["potential"][rows],
            "inefficiency": t["inefficiency"][rows],
        })
        for key, ds_name in (("level", "profile"), ("share", "share"), ("utility", "utility")):
            block = t[ds_name][rows, :]
            for j, name in enumerate(self.providers):
                df[f"{key}[{name}]"] = block[:, j]
        df.attrs.update(market=self.name, point=int(point), providers=list(self.providers),
                        levels=list(self.levels), **self.point_axes(point))
        return df

    def trajectory_long(self, point: int | None = None, **sel: Any) -> pd.DataFrame:
        """The same steps, one row per step and provider: step, provider, level, level_label,
        share, utility, plus the step's welfare and inefficiency."""
        wide = self.trajectory(point, **sel)
        parts = []
        for name in self.providers:
            parts.append(pd.DataFrame({
                "step": wide["step"], "provider": name,
                "level": wide[f"level[{name}]"].astype(int),
                "share": wide[f"share[{name}]"], "utility": wide[f"utility[{name}]"],
                "welfare": wide["welfare"], "inefficiency": wide["inefficiency"],
            }))
        df = pd.concat(parts, ignore_index=True)
        df["level_label"] = [self.levels[i] for i in df["level"]]
        df.attrs.update(wide.attrs)
        return df.sort_values(["step", "provider"], kind="stable").reset_index(drop=True)

    # ---- Table 2 ---------------------------------------------------------------------
    def table2(self, beta: float = 1000.0, margin: float | None = None,
               alpha: float | None = None) -> dict[str, Any]:
        """Market versus auction at ``beta`` (published margin and alpha unless given), mean
        over seeds of done points; dollars per query. The ``*_1e3`` keys are in $1e-3."""
        pub = self.published
        margin = pub["margin"] if margin is None else margin
        alpha = pub["alpha"] if alpha is None else alpha
        bvals = np.asarray(self.axes["beta"].values, dtype=float)
        finite = np.isfinite(bvals)
        if math.isinf(beta):
            bi = int(np.flatnonzero(~finite)[0]) if (~finite).any() else None
        else:
            cand = np.where(finite, np.abs(np.log10(np.where(finite, bvals, 1.0)) - math.log10(beta)), np.inf)
            bi = int(np.argmin(cand))
        if bi is None:
            raise KeyError(f"{self.name}: beta {beta} not on the axis")
        f = self.frame
        m = f[(f["beta"].astype(float) == bvals[bi]) & np.isclose(f["margin"], margin)
              & np.isclose(f["alpha"], alpha) & (f["status"] == 1)]
        fix = [a for a in AXES if a not in ("beta", "margin", "alpha", "seed") and len(self.axes[a]) > 1]
        for a in fix:   # other multi-valued axes: their first value
            m = m[m[a] == self.axes[a].values[0]]
        def mean(col):
            v = m[col].astype(float)
            v = v[np.isfinite(v)]
            return float(v.mean()) if len(v) else float("nan")
        def mode(col):
            v = m[col].dropna()
            return v.mode().iloc[0] if len(v) else None
        row = {
            "market": self.name, "dataset": self.dataset_name, "method": self.method,
            "beta": float(bvals[bi]), "margin": float(margin), "alpha": float(alpha), "seeds": int(len(m)),
            "market_user_value": mean("market_user_value"), "market_price": mean("market_price"),
            "market_provider_utility": mean("market_provider_utility"), "market_welfare": mean("welfare_eq"),
            "auction_user_value": mean("auction_user_value"), "auction_payment": mean("auction_payment"),
            "auction_winner_utility": mean("auction_winner_utility"), "auction_welfare": mean("auction_welfare"),
            "poa": mean("poa"), "auction_winner": mode("auction_winner"),
            "auction_runner_up": mode("auction_runner_up"),
        }
        return row


# --------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------

class Results:
    """An open results file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such results file "
                                    "(make one with `ttcg run SPEC --out FILE`, or `make run` for results.h5)")
        try:
            self._h5 = h5py.File(self.path, "r")
        except OSError as e:
            raise FormatError(f"{self.path}: not an HDF5 file ({e})") from e
        at = self._h5.attrs
        fmt = _text(at.get("format", ""))
        if fmt != FORMAT:
            self._h5.close()
            raise FormatError(f"{self.path}: format attribute is {fmt!r}, expected {FORMAT!r}")
        version = int(_scalar(at.get("format_version", -1)))
        if version != FORMAT_VERSION:
            self._h5.close()
            raise FormatError(f"{self.path}: format_version {version}; this reader knows version {FORMAT_VERSION}")
        self.attrs = {k: (_texts(v) if isinstance(v, np.ndarray) and v.size > 1 else _scalar(v))
                      for k, v in at.items()}
        self.markets: list[str] = _texts(at["markets"])
        self.groups: list[str] = _texts(at["market_groups"])
        self._market = {n: Market(self, n, g) for n, g in zip(self.markets, self.groups)}

    # ---- container behaviour ---------------------------------------------------------
    def __getitem__(self, name: str) -> Market:
        try:
            return self._market[name]
        except KeyError:
            raise KeyError(f"no market {name!r}; markets: {', '.join(self.markets)}") from None

    def __iter__(self):
        return iter(self._market.values())

    def __len__(self) -> int:
        return len(self.markets)

    def __contains__(self, name: str) -> bool:
        return name in self._market

    def __repr__(self) -> str:
        return (f"<Results {self.path}: job {self.job!r}, {len(self)} markets, "
                f"{self.attrs.get('points_done')}/{self.attrs.get('points_total')} points done, "
                f"completed={self.completed}>")

    def __enter__(self) -> "Results":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for m in self._market.values():
            if "ds" in m.__dict__:
                m.ds.close()
        self._h5.close()

    # ---- file-level ------------------------------------------------------------------
    @property
    def job(self) -> str:
        return str(self.attrs.get("job", ""))

    @property
    def completed(self) -> bool:
        return bool(self.attrs.get("completed", 0))

    @property
    def spec(self) -> str:
        return str(self.attrs.get("spec", ""))

    def frame(self, markets: Iterable[str] | None = None) -> pd.DataFrame:
        """The tidy frames of several markets (default all), stacked."""
        names = list(markets) if markets is not None else self.markets
        return pd.concat([self[n].frame for n in names], ignore_index=True)

    def provider_frame(self, markets: Iterable[str] | None = None) -> pd.DataFrame:
        names = list(markets) if markets is not None else self.markets
        return pd.concat([self[n].provider_frame for n in names], ignore_index=True)

    def dataset(self, market: str) -> xr.Dataset:
        return self[market].ds

    @property
    def datasets(self) -> dict[str, xr.Dataset]:
        """xarray datasets per market (opened lazily on first access)."""
        return {n: self[n].ds for n in self.markets}

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Tidy frames per market."""
        return {n: self[n].frame for n in self.markets}

    def market_of_point(self, point: int) -> Market:
        for m in self:
            if m.first_point <= point < m.first_point + m.point_count:
                return m
        raise KeyError(f"point {point} is in no market of {self.path}")

    def trajectory(self, market: str | None = None, point: int | None = None, **sel: Any) -> pd.DataFrame:
        """A frame of steps: by global ``point`` alone, or by market and axis values."""
        if market is None:
            if point is None:
                raise TypeError("give a point, or a market and axis values")
            return self.market_of_point(point).trajectory(point)
        return self[market].trajectory(point, **sel)

    def table2(self, beta: float = 1000.0) -> pd.DataFrame:
        """Market versus auction (the paper's Table 2) for every market, dollars per query."""
        return pd.DataFrame([m.table2(beta) for m in self])

    def inefficiency_vs_beta(self) -> pd.DataFrame:
        """(PoA - 1) % over beta at the published settings, every market stacked."""
        parts = []
        for m in self:
            d = m.inefficiency_vs_beta()
            d.insert(0, "market", m.name)
            parts.append(d)
        return pd.concat(parts, ignore_index=True)


def load(path: str | os.PathLike) -> Results:
    """Open a ttcg results file (format version 1). Raises FileNotFoundError / FormatError."""
    return Results(path)
