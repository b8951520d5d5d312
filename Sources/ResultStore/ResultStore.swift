// ResultStore: HDF5 files for Swift, and ttcg's results layout (docs/results-format.md).
//
// The low-level HDF5 layer (H5*.swift, HDF5*.swift), in order of use:
//   H5File.create / H5File.open        a file (newest format, SWMR-capable); also its root group
//   H5Group.createGroup / openGroup     nested groups by path; children(), contains(), kind(of:)
//   H5Group.createDataset(...)          chunked N-D datasets of Double, Float, Int32, Int64/Int,
//   H5Group.createStringDataset(...)    UInt8 (booleans) and UTF-8 strings; fill values; gzip
//   H5Dataset.write / append / read     whole arrays, row blocks, general hyperslabs; extend
//   H5Object.setAttribute / ...         scalar and 1-D attributes, numbers and strings
//   makeDimensionScale / attach         hdf5_hl dimension scales: labelled xarray dimensions
//   H5File.startSWMRWrite / .swmrRead   live reads while a sweep runs; clearStatusFlags after a crash
// Every failure is an `HDF5Error`, one line naming the file and the object; HDF5's own
// stderr printing is off. Threads: see HDF5Library.swift. A full disk: see FileState.close().
