// Groups: nested creation by path, listing, and creating/opening datasets.
internal import CHDF5

/// The kind of object a path names.
public enum H5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// An open HDF5 group (an `H5File` is its own root group).
///
/// Paths may be relative to this group ("a/b") or absolute in the file ("/a/b").
/// Groups record the creation order of their links, so h5py (`track_order`), netCDF
/// tools and xarray list variables in the order they were created.
public class H5Group: H5Object {

    /// Creates the group at `path`, creating missing intermediate groups too.
    /// Fails if it already exists (see `requireGroup` for open-or-create).
    public func createGroup(_ path: String) throws -> H5Group {
        let target = childPath(path)
        let action = "cannot create group"
        return try operate(action, object: target) {
            try ensureWritable(target, action)
            let lcpl = H5Pcreate(ttcg_H5P_LINK_CREATE())
            defer { H5Pclose(lcpl) }
            H5Pset_create_intermediate_group(lcpl, 1)
            let gcpl = H5Pcreate(ttcg_H5P_GROUP_CREATE())
            defer { H5Pclose(gcpl) }
            H5Pset_link_creation_order(gcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
            if try exists(path) {
                throw file.invalid(object: target, action: action, "an object with that name already exists")
            }
            let group = H5Gcreate2(id, path, lcpl, gcpl, ttcg_H5P_DEFAULT())
            guard group >= 0 else { throw file.failure(object: target, action: action) }
            return H5Group(file: file, id: group, path: target)
        }
    }

    /// Opens the existing group at `path`.
    public func openGroup(_ path: String) throws -> H5Group {
        let target = childPath(path)
        let action = "cannot open group"
        return try operate(action, object: target) {
            guard try exists(path) else {
                throw file.invalid(object: target, action: action, "no such group", kind: .objectNotFound)
            }
            let group = H5Gopen2(id, path, ttcg_H5P_DEFAULT())
            guard group >= 0 else { throw file.failure(object: target, action: action) }
            return H5Group(file: file, id: group, path: target)
        }
    }

    /// Opens the group at `path`, creating it (and its parents) if missing.
    public func requireGroup(_ path: String) throws -> H5Group {
        try contains(path) ? openGroup(path) : createGroup(path)
    }

    /// Whether `path` names an existing object (group, dataset, ...). Intermediate
    /// components that are missing give false, not an error.
    public func contains(_ path: String) throws -> Bool {
        try operate("cannot look up '\(path)'") { try exists(path) }
    }

    /// What `path` names.
    public func kind(of path: String) throws -> H5ObjectKind {
        let target = childPath(path)
        let action = "cannot open object"
        return try operate(action, object: target) {
            guard try exists(path) else {
                throw file.invalid(object: target, action: action, "no such object", kind: .objectNotFound)
            }
            let object = H5Oopen(id, path, ttcg_H5P_DEFAULT())
            guard object >= 0 else { throw file.failure(object: target, action: action) }
            defer { H5Oclose(object) }
            switch H5Iget_type(object) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// The names of this group's direct children (groups, datasets, ...), in name order.
    public func children() throws -> [String] {
        let action = "cannot list group"
        return try operate(action) {
            var info = H5G_info_t()
            guard H5Gget_info(id, &info) >= 0 else { throw file.failure(object: path, action: action) }
            var names: [String] = []
            names.reserveCapacity(Int(info.nlinks))
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                                ttcg_H5P_DEFAULT())
                guard length >= 0 else { throw file.failure(object: path, action: action) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer,
                                         buffer.count, ttcg_H5P_DEFAULT()) >= 0 else {
                    throw file.failure(object: path, action: action)
                }
                names.append(string(fromCBuffer: buffer))
            }
            return names
        }
    }

    // MARK: Datasets

    /// Creates a chunked dataset of numbers.
    ///
    /// - Parameters:
    ///   - path: where, relative to this group or absolute; missing parent groups are created.
    ///   - type: `Double.self`, `Float.self`, `Int32.self`, `Int64.self`, `Int.self` or `UInt8.self`.
    ///   - dims: the current extent, one entry per dimension (rank >= 1; 0 is allowed).
    ///   - maxDims: the maximum extent per dimension, `H5Dataset.unlimited` for a dimension
    ///     that can grow without bound; nil means fixed at `dims`.
    ///   - chunk: the chunk shape; nil picks about 256 KiB per chunk, whole trailing
    ///     dimensions and as many rows of dimension 0 as fit.
    ///   - deflate: gzip level 0...9, or nil for no compression.
    ///   - shuffle: with `deflate`, byte-shuffle first (better compression of numbers).
    ///   - fill: the value of elements never written; nil gives `T.h5DefaultFill`
    ///     (NaN for floating point, -1 for signed integers, 255 for `UInt8`).
    @discardableResult
    public func createDataset<T: H5Numeric>(_ path: String, of type: T.Type, dims: [Int],
                                            maxDims: [Int]? = nil, chunk: [Int]? = nil,
                                            deflate: Int? = nil, shuffle: Bool = true,
                                            fill: T? = nil) throws -> H5Dataset {
        let fillValue = fill ?? T.h5DefaultFill
        let element = T.h5ElementType
        return try withUnsafePointer(to: fillValue) { fillPointer in
            try makeDataset(path, element: element, fileType: element.nativeTypeID!, dims: dims,
                            maxDims: maxDims, chunk: chunk, deflate: deflate, shuffle: shuffle,
                            fill: UnsafeRawPointer(fillPointer))
        }
    }

    /// Creates a chunked dataset of UTF-8 strings (unwritten elements read as "").
    /// Parameters as for the numeric `createDataset`, plus:
    ///
    /// - fixedLength: nil (the default) stores variable-length strings, which h5py,
    ///   netCDF-4 and xarray read as text. A byte count stores fixed-length,
    ///   NUL-padded strings instead (longer values are refused, not cut); h5py and
    ///   xarray read those as `bytes`. Use fixed length for strings written while SWMR
    ///   readers watch: variable-length data lives in HDF5's global heap, which SWMR
    ///   readers cannot follow (h5py fails with "len not positive after adjustment for
    ///   EOA" until the writer closes).
    @discardableResult
    public func createStringDataset(_ path: String, dims: [Int], maxDims: [Int]? = nil,
                                    chunk: [Int]? = nil, deflate: Int? = nil,
                                    fixedLength: Int? = nil) throws -> H5Dataset {
        if let fixedLength, fixedLength < 1 {
            throw withHDF5 {
                file.invalid(object: childPath(path), action: "cannot create dataset",
                             "fixedLength must be at least 1, got \(fixedLength)")
            }
        }
        let type = withHDF5 { fixedLength.map(makeFixedStringType) ?? makeVariableStringType() }
        defer { withHDF5 { _ = H5Tclose(type) } }
        return try makeDataset(path, element: .string, fileType: type, dims: dims, maxDims: maxDims,
                               chunk: chunk, deflate: deflate, shuffle: false, fill: nil)
    }

    /// Opens the existing dataset at `path`.
    public func openDataset(_ path: String) throws -> H5Dataset {
        let target = childPath(path)
        let action = "cannot open dataset"
        return try operate(action, object: target) {
            guard try exists(path) else {
                throw file.invalid(object: target, action: action, "no such dataset", kind: .objectNotFound)
            }
            let dataset = H5Dopen2(id, path, ttcg_H5P_DEFAULT())
            guard dataset >= 0 else { throw file.failure(object: target, action: action) }
            return try H5Dataset(file: file, datasetID: dataset, path: target)
        }
    }

    /// Attaches dimension scale `scale` (see `H5Dataset.makeDimensionScale`) to
    /// dimension `dimension` of `dataset` (hdf5_hl `H5DSattach_scale`). This is what
    /// gives netCDF tools and xarray named, labelled dimensions.
    /// Must happen before `H5File.startSWMRWrite()`.
    public func attach(scale: H5Dataset, to dataset: H5Dataset, dimension: Int) throws {
        let action = "cannot attach dimension scale '\(scale.path)' to dimension \(dimension)"
        try operate(action, object: dataset.path) {
            try dataset.file.ensureOpen(object: dataset.path, action: action)
            try scale.file.ensureOpen(object: scale.path, action: action)
            guard dimension >= 0, dimension < dataset.rank else {
                throw file.invalid(object: dataset.path, action: action,
                                   "the dataset has \(dataset.rank) dimension(s)")
            }
            guard H5DSattach_scale(dataset.id, scale.id, UInt32(dimension)) >= 0 else {
                throw dataset.file.failure(object: dataset.path, action: action)
            }
        }
    }

    // MARK: Internals (lock held)

    /// Whether `path` (relative or absolute) exists, checking every component.
    func exists(_ path: String) throws -> Bool {
        if path == "/" || path == "." || path.isEmpty { return true }
        let valid = H5LTpath_valid(id, path, true)
        if valid < 0 { clearErrorStack(); return false }
        return valid > 0
    }

    func ensureWritable(_ object: String, _ action: String) throws {
        if file.isReadOnly {
            throw file.invalid(object: object, action: action, "the file is open read-only")
        }
        if file.isSWMRWriting {
            throw file.invalid(object: object, action: action,
                               "new objects cannot be created while SWMR writing; create the whole layout before startSWMRWrite()")
        }
    }

    private func makeDataset(_ path: String, element: H5ElementType, fileType: hid_t, dims: [Int],
                             maxDims: [Int]?, chunk: [Int]?, deflate: Int?, shuffle: Bool,
                             fill: UnsafeRawPointer?) throws -> H5Dataset {
        let target = childPath(path)
        let action = "cannot create dataset"
        return try operate(action, object: target) {
            try ensureWritable(target, action)
            let bad = { (detail: String) in self.file.invalid(object: target, action: action, detail) }
            guard !dims.isEmpty, dims.count <= 32 else { throw bad("rank must be 1...32, got \(dims.count)") }
            guard dims.allSatisfy({ $0 >= 0 }) else { throw bad("negative dimension in \(dims)") }
            let maximum = maxDims ?? dims
            guard maximum.count == dims.count else {
                throw bad("maxDims \(maximum) has rank \(maximum.count), dims \(dims) has rank \(dims.count)")
            }
            for (size, limit) in zip(dims, maximum) where limit != H5Dataset.unlimited && limit < size {
                throw bad("maxDims \(maximum) is smaller than dims \(dims)")
            }
            let chunkShape = chunk ?? defaultChunk(dims: dims, maxDims: maximum, elementSize: element == .string ? max(16, H5Tget_size(fileType)) : element.byteSize)
            guard chunkShape.count == dims.count, chunkShape.allSatisfy({ $0 >= 1 }) else {
                throw bad("chunk \(chunkShape) must have rank \(dims.count) and positive sizes")
            }
            for (size, limit) in zip(chunkShape, maximum) where limit != H5Dataset.unlimited && size > max(limit, 1) {
                throw bad("chunk \(chunkShape) is larger than the fixed dims \(maximum)")
            }
            if let deflate, !(0...9).contains(deflate) { throw bad("deflate level must be 0...9, got \(deflate)") }
            if try exists(path) { throw bad("an object with that name already exists") }

            var current = dims.map { hsize_t($0) }
            var limits = maximum.map { $0 == H5Dataset.unlimited ? ttcg_H5S_UNLIMITED() : hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), &current, &limits)
            guard space >= 0 else { throw file.failure(object: target, action: action) }
            defer { H5Sclose(space) }

            let dcpl = H5Pcreate(ttcg_H5P_DATASET_CREATE())
            defer { H5Pclose(dcpl) }
            var chunkDims = chunkShape.map { hsize_t($0) }
            guard H5Pset_chunk(dcpl, Int32(chunkDims.count), &chunkDims) >= 0 else {
                throw file.failure(object: target, action: action)
            }
            if let deflate {
                if shuffle && element != .string { H5Pset_shuffle(dcpl) }
                guard H5Pset_deflate(dcpl, UInt32(deflate)) >= 0 else {
                    throw file.failure(object: target, action: action)
                }
            }
            if let fill {
                guard H5Pset_fill_value(dcpl, fileType, fill) >= 0 else {
                    throw file.failure(object: target, action: action)
                }
                H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET)
            }
            let lcpl = H5Pcreate(ttcg_H5P_LINK_CREATE())
            defer { H5Pclose(lcpl) }
            H5Pset_create_intermediate_group(lcpl, 1)

            let dataset = H5Dcreate2(id, path, fileType, space, lcpl, dcpl, ttcg_H5P_DEFAULT())
            guard dataset >= 0 else { throw file.failure(object: target, action: action) }
            return try H5Dataset(file: file, datasetID: dataset, path: target)
        }
    }
}

/// About 256 KiB per chunk: whole trailing dimensions (up to that size) and as many
/// rows of dimension 0 as fit.
func defaultChunk(dims: [Int], maxDims: [Int], elementSize: Int) -> [Int] {
    let target = 256 * 1024
    var chunk = [Int](repeating: 1, count: dims.count)
    var rowBytes = elementSize
    for axis in stride(from: dims.count - 1, through: 1, by: -1) {
        let extent = max(dims[axis], 1)
        let limit = maxDims[axis] == H5Dataset.unlimited ? extent : max(maxDims[axis], 1)
        let size = min(max(1, target / rowBytes), min(extent, limit))
        chunk[axis] = size
        rowBytes *= size
    }
    var rows = max(1, target / rowBytes)
    if maxDims[0] != H5Dataset.unlimited { rows = min(rows, max(maxDims[0], 1)) }
    chunk[0] = rows
    return chunk
}
