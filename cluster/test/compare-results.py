"""Compares two ttcg results files bit for bit (the Slurm test's check that a cluster run
equals a local `ttcg run` of the same spec).

    python compare-results.py EXPECTED.h5 ACTUAL.h5

Every dataset is compared, with its dtype and shape: numbers by their bytes (so floats bit
for bit, NaN payloads included), strings as strings. Rows that are appended in the order
results arrive are compared per grid point instead of per row:
- trajectories/: each point's step rows (profile, share, utility, welfare, potential,
  inefficiency, visited, moved, ...), found through point, first_row and row_count;
- errors/: the set of (point, message) pairs.
Root and group attributes are compared too, except started_at and finished_at.
Exits 1 with the differences (at most 20 lines) if any, else prints one `ok:` line.
"""
import sys

import h5py
import numpy as np

SKIP_ROOT_ATTRS = {"started_at", "finished_at"}


def as_comparable(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSU":
            return [as_comparable(v) for v in value.tolist()]
        return (value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, (list, tuple)):
        return [as_comparable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return np.float64(value).tobytes()
    if isinstance(value, np.generic):
        return value.item()
    return value


def short(value):
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."


def read(ds):
    value = ds[()]
    if ds.dtype.kind == "O" or h5py.check_string_dtype(ds.dtype) is not None:
        return ("str", ds.shape, [v.decode("utf-8") if isinstance(v, bytes) else v for v in np.ravel(value).tolist()])
    arr = np.asarray(value)
    return (arr.dtype.str, arr.shape, np.ascontiguousarray(arr).tobytes())


def walk(f):
    """{path: h5py object} of every group and dataset."""
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj))
    return out


def trajectories_by_point(group):
    """{point: {table: bytes of that point's rows}} for a trajectories/ group."""
    points = group["point"][()]
    first = group["first_row"][()]
    count = group["row_count"][()]
    nrows = len(group["row"]) if "row" in group else None
    tables = {}
    for name, ds in group.items():
        if not isinstance(ds, h5py.Dataset) or name in ("point", "first_row", "row_count", "row", "trajectory"):
            continue
        if nrows is not None and ds.ndim >= 1 and ds.shape[0] == nrows and name != "provider":
            tables[name] = ds[()]
    result = {}
    for p, a, n in zip(points.tolist(), first.tolist(), count.tolist()):
        if p in result:
            raise AssertionError(f"{group.name}: point {p} has two trajectories")
        result[p] = {name: (t.dtype.str, t[a:a + n].shape, np.ascontiguousarray(t[a:a + n]).tobytes()) for name, t in tables.items()}
    return result, sorted(tables)


def errors_set(group):
    points = group["point"][()].tolist()
    messages = [m.decode("utf-8") if isinstance(m, bytes) else m for m in group["message"][()].tolist()]
    return sorted(zip(points, messages))


def compare(expected_path, actual_path):
    problems = []
    with h5py.File(expected_path, "r") as e, h5py.File(actual_path, "r") as a:
        if int(a.attrs.get("completed", 0)) != 1:
            problems.append(f"{actual_path}: completed is {a.attrs.get('completed')}, expected 1")
        for key in sorted(set(e.attrs) | set(a.attrs)):
            if key in SKIP_ROOT_ATTRS:
                continue
            if key not in e.attrs or key not in a.attrs:
                problems.append(f"root attribute {key}: only in {'expected' if key in e.attrs else 'actual'}")
            elif as_comparable(e.attrs[key]) != as_comparable(a.attrs[key]):
                problems.append(f"root attribute {key}: {short(e.attrs[key])} != {short(a.attrs[key])}")
        ewalk, awalk = walk(e), walk(a)
        for name in sorted(set(ewalk) ^ set(awalk)):
            problems.append(f"{name}: only in {'expected' if name in ewalk else 'actual'}")
        for name in sorted(set(ewalk) & set(awalk)):
            eo, ao = ewalk[name], awalk[name]
            if isinstance(eo, h5py.Group):
                if type(ao) is not h5py.Group:
                    problems.append(f"{name}: a group in expected, not in actual")
                    continue
                for key in sorted(set(eo.attrs) | set(ao.attrs)):
                    ev, av = eo.attrs.get(key), ao.attrs.get(key)
                    if ev is None or av is None or as_comparable(ev) != as_comparable(av):
                        problems.append(f"{name}: attribute {key} differs")
                base = name.rsplit("/", 1)[-1]
                if base == "trajectories":
                    et, etables = trajectories_by_point(eo)
                    at, atables = trajectories_by_point(ao)
                    if etables != atables:
                        problems.append(f"{name}: step tables {etables} != {atables}")
                    if sorted(et) != sorted(at):
                        problems.append(f"{name}: trajectories for {len(et)} points != {len(at)} points (or other points)")
                    for p in sorted(set(et) & set(at)):
                        for t in etables:
                            if t in at[p] and et[p][t] != at[p][t]:
                                problems.append(f"{name}/{t}: the rows of point {p} differ")
                    for key in ("row", "trajectory"):
                        if key in eo and key in ao and eo[key].shape != ao[key].shape:
                            problems.append(f"{name}/{key}: shape {eo[key].shape} != {ao[key].shape}")
                elif base == "errors":
                    if errors_set(eo) != errors_set(ao):
                        problems.append(f"{name}: the failed points or their messages differ")
                continue
            if name.rsplit("/", 2)[-2:-1] in (["trajectories"], ["errors"]):
                continue  # compared per point above
            if type(ao) is not h5py.Dataset:
                problems.append(f"{name}: a dataset in expected, not in actual")
                continue
            ev, av = read(eo), read(ao)
            if ev[0] != av[0] or ev[1] != av[1]:
                problems.append(f"{name}: dtype/shape {ev[0]} {ev[1]} != {av[0]} {av[1]}")
            elif ev[2] != av[2]:
                if ev[0] == "str":
                    diff = sum(1 for x, y in zip(ev[2], av[2]) if x != y)
                else:
                    x = np.frombuffer(ev[2], dtype=np.uint8)
                    y = np.frombuffer(av[2], dtype=np.uint8)
                    diff = int(np.count_nonzero(x != y))
                problems.append(f"{name}: values differ ({diff} elements/bytes)")
        datasets = sum(1 for o in awalk.values() if isinstance(o, h5py.Dataset))
    if problems:
        print(f"results differ: {expected_path} vs {actual_path}")
        for p in problems[:20]:
            print(f"  {p}")
        if len(problems) > 20:
            print(f"  ... and {len(problems) - 20} more")
        return 1
    print(f"ok: {actual_path} equals {expected_path} bit for bit ({datasets} datasets)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(compare(sys.argv[1], sys.argv[2]))
