// ResultStore: HDF5 files for Swift, and ttcg's results layout (docs/results-format.md).
