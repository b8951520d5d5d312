"""Reads a ttcg results file the way a notebook would (h5py and xarray), and checks it.

    python check_results.py RESULTS.h5 EXPECTED_POINTS

Exits non-zero with a message on the first problem; prints one summary line otherwise.
"""
import sys

import h5py
import numpy as np
import xarray as xr

AXES = ["beta", "margin", "alpha", "v0", "value_curve", "seed", "rule", "order", "start", "tolerance", "max_rounds"]


def main(path, expected_points):
    datasets = []
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "ttcg-results", f.attrs["format"]
        assert int(f.attrs["completed"]) == 1
        assert int(f.attrs["points_total"]) == expected_points, f.attrs["points_total"]
        groups = list(f.attrs["market_groups"])

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                obj[()]  # every dataset reads
                datasets.append(name)

        f.visititems(visit)
        total = 0
        for g in groups:
            status = f[g]["status"][()]
            assert status.shape == tuple(len(f[g][a]) for a in AXES), (g, status.shape)
            assert (status == 1).all(), g
            total += status.size
        assert total == expected_points, total
    for g in groups:
        ds = xr.open_dataset(path, engine="h5netcdf", group=g)
        assert list(ds["poa"].dims) == AXES, ds["poa"].dims
        assert list(ds["eq_profile"].dims) == AXES + ["provider"], ds["eq_profile"].dims
        assert "beta" in ds.coords and "provider" in ds.coords
        sel = ds["poa"].sel(margin=ds.coords["margin"].values[0]).isel(seed=0)
        assert np.isfinite(sel.values).all()
        ds.close()
    print(f"ok: {len(datasets)} datasets read with h5py, {len(groups)} market groups opened with xarray")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
