// Datasets: whole-array and hyperslab writes and reads, extension, strings, and
// dimension scales.
internal import CHDF5

/// An open HDF5 dataset of numbers or strings.
///
/// Writes take values in row-major (C) order, as NumPy lays them out. A "row" is one
/// index of dimension 0 with all the trailing dimensions (a single element for a 1-D
/// dataset). Writes take the stored element type, or integers into a floating-point
/// dataset (exact up to 2^53); reads convert integers to other integer types or to
/// floating point, never floating point to integers.
public final class H5Dataset: H5Object {
    /// `maxDims` entry for a dimension that can grow without bound.
    public static let unlimited = -1

    /// The stored element type.
    public let elementType: H5ElementType
    /// The number of dimensions.
    public let rank: Int
    /// For a fixed-length string dataset, its length in bytes; nil otherwise.
    public let fixedStringLength: Int?

    init(file: FileState, datasetID id: hid_t, path: String) throws {
        let type = H5Dget_type(id)
        let space = H5Dget_space(id)
        defer {
            if type >= 0 { H5Tclose(type) }
            if space >= 0 { H5Sclose(space) }
        }
        guard type >= 0, space >= 0 else {
            let error = file.failure(object: path, action: "cannot open dataset")
            H5Dclose(id)
            throw error
        }
        elementType = H5ElementType(fileType: type)
        fixedStringLength = elementType == .string && H5Tis_variable_str(type) <= 0 ? H5Tget_size(type) : nil
        rank = Int(H5Sget_simple_extent_ndims(space))
        super.init(file: file, id: id, path: path)
    }

    // MARK: Shape

    /// The current extent, one entry per dimension.
    public func shape() throws -> [Int] {
        try operate("cannot read the shape") { try extent().current }
    }

    /// The maximum extent (`H5Dataset.unlimited` for unbounded dimensions).
    public func maxShape() throws -> [Int] {
        try operate("cannot read the shape") { try extent().maximum }
    }

    /// The chunk shape.
    public func chunkShape() throws -> [Int] {
        let action = "cannot read the chunk shape"
        return try operate(action) {
            let dcpl = H5Dget_create_plist(id)
            guard dcpl >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Pclose(dcpl) }
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            guard H5Pget_chunk(dcpl, Int32(rank), &dims) >= 0 else {
                throw file.failure(object: path, action: action)
            }
            return dims.prefix(rank).map { Int($0) }
        }
    }

    /// Changes the extent (`H5Dset_extent`): grow up to `maxShape()`, or shrink.
    /// New elements hold the fill value.
    public func setExtent(_ dims: [Int]) throws {
        let action = "cannot change the extent to \(dims)"
        try operate(action) {
            try ensureWritable(action)
            let (_, maximum) = try extent()
            guard dims.count == rank, dims.allSatisfy({ $0 >= 0 }) else {
                throw file.invalid(object: path, action: action, "the dataset has rank \(rank)")
            }
            for (size, limit) in zip(dims, maximum) where limit != H5Dataset.unlimited && size > limit {
                throw file.invalid(object: path, action: action, "the maximum extent is \(maximum)")
            }
            var newDims = dims.map { hsize_t($0) }
            guard H5Dset_extent(id, &newDims) >= 0 else { throw file.failure(object: path, action: action) }
        }
    }

    /// Sets the extent of dimension 0 to `rows`, keeping the other dimensions.
    public func extend(toRows rows: Int) throws {
        try operate("cannot extend to \(rows) rows") {
            var dims = try extent().current
            dims[0] = rows
            try setExtent(dims)
        }
    }

    // MARK: Numeric writes

    /// Writes the whole dataset; `values.count` must equal the product of `shape()`.
    public func write<T: H5Numeric>(_ values: [T]) throws {
        try operate("cannot write") {
            try write(values, start: [Int](repeating: 0, count: rank), count: try extent().current)
        }
    }

    /// Writes whole rows starting at row `row` of dimension 0; `values.count` must be a
    /// multiple of the row size (the product of the trailing dimensions).
    public func write<T: H5Numeric>(_ values: [T], atRow row: Int) throws {
        let (start, count) = try rowBlock(row: row, valueCount: values.count, action: "cannot write rows")
        try write(values, start: start, count: count)
    }

    /// Writes the block `start ..< start + count` (one entry per dimension);
    /// `values.count` must equal the product of `count`.
    public func write<T: H5Numeric>(_ values: [T], start: [Int], count: [Int]) throws {
        try values.withUnsafeBufferPointer { try write($0, start: start, count: count) }
    }

    /// Writes a block from a buffer (no copy); names the block only on failure (a hot path).
    public func write<T: H5Numeric>(_ buffer: UnsafeBufferPointer<T>, start: [Int], count: [Int]) throws {
        do {
            let action = "cannot write a block"
            try operate(action) {
                try ensureWritable(action)
                try ensureWritable(element: T.h5ElementType, action)
                try transfer(start: start, count: count, valueCount: buffer.count, action: action) { memory, fileSpace in
                    H5Dwrite(id, T.h5ElementType.nativeTypeID!, memory, fileSpace, ttcg_H5P_DEFAULT(),
                             buffer.baseAddress!)
                }
            }
        } catch let error as HDF5Error {
            throw error.saying("cannot write \(Self.blockText(start, count))")
        }
    }

    /// Appends whole rows at the end of dimension 0 (which must be extendable) and
    /// returns the rows written.
    @discardableResult
    public func append<T: H5Numeric>(_ values: [T]) throws -> Range<Int> {
        let (first, rows) = try grow(valueCount: values.count, action: "cannot append")
        try write(values, atRow: first)
        return first..<(first + rows)
    }

    // MARK: Numeric reads

    /// Reads the whole dataset.
    public func read<T: H5Numeric>(as type: T.Type) throws -> [T] {
        try operate("cannot read") {
            try read(as: type, start: [Int](repeating: 0, count: rank), count: try extent().current)
        }
    }

    /// Reads the rows `rows` of dimension 0 (with all trailing dimensions).
    public func read<T: H5Numeric>(as type: T.Type, rows: Range<Int>) throws -> [T] {
        try operate("cannot read rows \(rows.lowerBound)..<\(rows.upperBound)") {
            var count = try extent().current
        var start = [Int](repeating: 0, count: rank)
            start[0] = rows.lowerBound
            count[0] = rows.count
            return try read(as: type, start: start, count: count)
        }
    }

    /// Reads the block `start ..< start + count`.
    public func read<T: H5Numeric>(as type: T.Type, start: [Int], count: [Int]) throws -> [T] {
        let action = "cannot read \(Self.blockText(start, count))"
        return try operate(action) {
            guard elementType.isFloatingPoint || elementType.isInteger else {
                throw file.invalid(object: path, action: action, "the dataset holds \(elementType), not numbers")
            }
            if elementType.isFloatingPoint && T.h5ElementType.isInteger {
                throw file.invalid(object: path, action: action,
                                   "the dataset holds \(elementType); read it as Double or Float")
            }
            let total = count.reduce(1, *)
            var values = [T](repeating: T.h5DefaultFill, count: max(total, 1))
            try values.withUnsafeMutableBufferPointer { buffer in
                try transfer(start: start, count: count, valueCount: total, action: action) { memory, fileSpace in
                    H5Dread(id, T.h5ElementType.nativeTypeID!, memory, fileSpace, ttcg_H5P_DEFAULT(),
                            buffer.baseAddress!)
                }
            }
            if total == 0 { values.removeAll() }
            return values
        }
    }

    // MARK: Strings

    /// Writes the whole string dataset.
    public func write(strings: [String]) throws {
        try operate("cannot write") {
            try write(strings: strings, start: [Int](repeating: 0, count: rank), count: try extent().current)
        }
    }

    /// Writes whole rows of strings starting at row `row`.
    public func write(strings: [String], atRow row: Int) throws {
        let (start, count) = try rowBlock(row: row, valueCount: strings.count, action: "cannot write rows")
        try write(strings: strings, start: start, count: count)
    }

    /// Writes a block of strings (stored as variable-length UTF-8; a NUL character
    /// inside a string ends the stored value there).
    public func write(strings: [String], start: [Int], count: [Int]) throws {
        let action = "cannot write \(Self.blockText(start, count))"
        try operate(action) {
            try ensureWritable(action)
            try ensureWritable(element: .string, action)
            if let length = fixedStringLength {
                var bytes = [UInt8](repeating: 0, count: max(strings.count * length, 1))
                for (index, string) in strings.enumerated() {
                    let utf8 = Array(string.utf8)
                    guard utf8.count <= length else {
                        throw file.invalid(object: path, action: action,
                                           "a string of \(utf8.count) bytes does not fit the fixed length of \(length) bytes")
                    }
                    bytes.replaceSubrange((index * length)..<(index * length + utf8.count), with: utf8)
                }
                let type = makeFixedStringType(length: length)
                defer { H5Tclose(type) }
                try bytes.withUnsafeBytes { buffer in
                    try transfer(start: start, count: count, valueCount: strings.count, action: action) { memory, fileSpace in
                        H5Dwrite(id, type, memory, fileSpace, ttcg_H5P_DEFAULT(), buffer.baseAddress!)
                    }
                }
                return
            }
            let type = makeVariableStringType(), dxpl = stringTransferList(count: strings.count)
            defer { H5Tclose(type); H5Pclose(dxpl) }
            try withCStringArray(strings) { pointers in
                try transfer(start: start, count: count, valueCount: strings.count, action: action) { memory, fileSpace in
                    H5Dwrite(id, type, memory, fileSpace, dxpl, pointers)
                }
            }
        }
    }

    /// Appends rows of strings at the end of dimension 0.
    @discardableResult
    public func append(strings: [String]) throws -> Range<Int> {
        let (first, rows) = try grow(valueCount: strings.count, action: "cannot append")
        try write(strings: strings, atRow: first)
        return first..<(first + rows)
    }

    /// Reads the whole string dataset (unwritten elements read as "").
    public func readStrings() throws -> [String] {
        try operate("cannot read") {
            try readStrings(start: [Int](repeating: 0, count: rank), count: try extent().current)
        }
    }

    /// Reads rows `rows` of a string dataset.
    public func readStrings(rows: Range<Int>) throws -> [String] {
        try operate("cannot read rows \(rows.lowerBound)..<\(rows.upperBound)") {
            var count = try extent().current
            var start = [Int](repeating: 0, count: rank)
            start[0] = rows.lowerBound
            count[0] = rows.count
            return try readStrings(start: start, count: count)
        }
    }

    /// Reads a block of a string dataset (variable- or fixed-length strings).
    public func readStrings(start: [Int], count: [Int]) throws -> [String] {
        let action = "cannot read \(Self.blockText(start, count))"
        return try operate(action) {
            guard elementType == .string else {
                throw file.invalid(object: path, action: action, "the dataset holds \(elementType), not strings")
            }
            let fileType = H5Dget_type(id)
            guard fileType >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Tclose(fileType) }
            let total = count.reduce(1, *)
            var result: [String] = []
            try transfer(start: start, count: count, valueCount: total, action: action) { memory, fileSpace in
                guard let strings = readStringElements(count: total, fileType: fileType, space: memory,
                                                       read: { H5Dread(id, $0, memory, fileSpace, ttcg_H5P_DEFAULT(), $1) })
                else { return -1 }
                result = strings
                return 0
            }
            return result
        }
    }

    // MARK: Flushing and SWMR reading

    /// Flushes this dataset's buffers to the file (`H5Dflush`).
    public func flush() throws {
        try operate("cannot flush") {
            guard H5Dflush(id) >= 0 else { throw file.failure(object: path, action: "cannot flush") }
        }
    }

    /// For a file opened with `.swmrRead`: reloads the dataset's metadata so rows the
    /// writer appended and flushed since become visible (`H5Drefresh`).
    public func refresh() throws {
        try operate("cannot refresh") {
            guard H5Drefresh(id) >= 0 else { throw file.failure(object: path, action: "cannot refresh") }
        }
    }

    // MARK: Dimension scales

    /// Turns this 1-D dataset into a dimension scale (hdf5_hl `H5DSset_scale`) named
    /// `name` (default: the dataset's own name, which is what netCDF-4, h5netcdf and
    /// xarray expect of a coordinate variable). Attach it with `H5Group.attach(scale:to:dimension:)`.
    public func makeDimensionScale(name: String? = nil) throws {
        let action = "cannot make a dimension scale"
        try operate(action) {
            try ensureWritable(action)
            guard H5DSset_scale(id, name ?? self.name) >= 0 else {
                throw file.failure(object: path, action: action)
            }
        }
    }

    /// Whether this dataset is a dimension scale.
    public func isDimensionScale() throws -> Bool {
        try operate("cannot inspect dimension scales") {
            let answer = H5DSis_scale(id)
            guard answer >= 0 else { throw file.failure(object: path, action: "cannot inspect dimension scales") }
            return answer > 0
        }
    }

    /// Whether `scale` is attached to dimension `dimension` of this dataset.
    public func isAttached(scale: H5Dataset, dimension: Int) throws -> Bool {
        let action = "cannot inspect dimension \(dimension)"
        return try operate(action) {
            try checkDimension(dimension, action)
            let answer = H5DSis_attached(id, scale.id, UInt32(dimension))
            guard answer >= 0 else { throw file.failure(object: path, action: action) }
            return answer > 0
        }
    }

    /// The number of scales attached to dimension `dimension`.
    public func scaleCount(dimension: Int) throws -> Int {
        let action = "cannot inspect dimension \(dimension)"
        return try operate(action) {
            try checkDimension(dimension, action)
            let count = H5DSget_num_scales(id, UInt32(dimension))
            guard count >= 0 else { throw file.failure(object: path, action: action) }
            return Int(count)
        }
    }

    /// Labels dimension `dimension` (hdf5_hl `H5DSset_label`; h5py shows it as `dims[i].label`).
    public func setDimensionLabel(_ label: String, dimension: Int) throws {
        let action = "cannot label dimension \(dimension)"
        try operate(action) {
            try ensureWritable(action)
            try checkDimension(dimension, action)
            guard H5DSset_label(id, UInt32(dimension), label) >= 0 else {
                throw file.failure(object: path, action: action)
            }
        }
    }

    /// The label of dimension `dimension`, or nil if it has none.
    public func dimensionLabel(dimension: Int) throws -> String? {
        let action = "cannot read the label of dimension \(dimension)"
        return try operate(action) {
            try checkDimension(dimension, action)
            let length = H5DSget_label(id, UInt32(dimension), nil, 0)
            guard length >= 0 else { throw file.failure(object: path, action: action) }
            if length == 0 { return nil }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard H5DSget_label(id, UInt32(dimension), &buffer, buffer.count) >= 0 else {
                throw file.failure(object: path, action: action)
            }
            return string(fromCBuffer: buffer)
        }
    }

    // MARK: Internals (lock held unless said otherwise)

    private func extent() throws -> (current: [Int], maximum: [Int]) {
        let space = H5Dget_space(id)
        guard space >= 0 else { throw file.failure(object: path, action: "cannot read the shape") }
        defer { H5Sclose(space) }
        var current = [hsize_t](repeating: 0, count: max(rank, 1))
        var maximum = [hsize_t](repeating: 0, count: max(rank, 1))
        guard H5Sget_simple_extent_dims(space, &current, &maximum) >= 0 else {
            throw file.failure(object: path, action: "cannot read the shape")
        }
        let unlimited = ttcg_H5S_UNLIMITED()
        return (current.prefix(rank).map { Int($0) },
                maximum.prefix(rank).map { $0 == unlimited ? H5Dataset.unlimited : Int($0) })
    }

    private func checkDimension(_ dimension: Int, _ action: String) throws {
        guard dimension >= 0, dimension < rank else {
            throw file.invalid(object: path, action: action, "the dataset has \(rank) dimension(s)")
        }
    }

    private func ensureWritable(_ action: String) throws {
        if file.isReadOnly {
            throw file.invalid(object: path, action: action, "the file is open read-only")
        }
    }

    private func ensureWritable(element: H5ElementType, _ action: String) throws {
        // Exact match, or integers into floating point (so `write([1, 2, 3])`, whose
        // literals are `Int`, works on a float64 dataset). Never floating point into
        // integers, nor one integer width into another: HDF5 would round or clamp silently.
        guard element == elementType || (element.isInteger && elementType.isFloatingPoint) else {
            throw file.invalid(object: path, action: action,
                               "the dataset holds \(elementType), the values are \(element)")
        }
    }

    /// The block of whole rows `row ..< row + n` for `valueCount` values.
    private func rowBlock(row: Int, valueCount: Int, action: String) throws -> (start: [Int], count: [Int]) {
        try operate(action) {
            let dims = try extent().current
            let rowSize = dims.dropFirst().reduce(1, *)
            guard rowSize > 0 || valueCount == 0 else {
                throw file.invalid(object: path, action: action, "a row of shape \(dims) holds no elements")
            }
            guard rowSize == 0 || valueCount % rowSize == 0 else {
                throw file.invalid(object: path, action: action,
                                   "\(valueCount) values are not whole rows of \(rowSize)")
            }
            var start = [Int](repeating: 0, count: rank)
            var count = dims
            start[0] = row
            count[0] = rowSize == 0 ? 0 : valueCount / rowSize
            return (start, count)
        }
    }

    /// Extends dimension 0 by the rows `valueCount` values make; returns the first new
    /// row and the row count (takes the lock).
    private func grow(valueCount: Int, action: String) throws -> (first: Int, rows: Int) {
        try operate(action) {
            let (current, maximum) = try extent()
            let rowSize = current.dropFirst().reduce(1, *)
            guard rowSize > 0, valueCount % rowSize == 0 else {
                throw file.invalid(object: path, action: action,
                                   "\(valueCount) values are not whole rows of \(rowSize)")
            }
            let rows = valueCount / rowSize
            if maximum[0] != H5Dataset.unlimited && current[0] + rows > maximum[0] {
                throw file.invalid(object: path, action: action,
                                   "\(current[0]) + \(rows) rows exceed the maximum of \(maximum[0]) rows")
            }
            var newDims = current
            newDims[0] += rows
            try setExtent(newDims)
            return (current[0], rows)
        }
    }

    /// Selects `start ..< start + count` in the file and a matching memory space, checks
    /// bounds and the value count, and runs `io`.
    private func transfer(start: [Int], count: [Int], valueCount: Int, action: String,
                          _ io: (_ memory: hid_t, _ file: hid_t) -> herr_t) throws {
        guard start.count == rank, count.count == rank else {
            throw file.invalid(object: path, action: action, "the dataset has rank \(rank)")
        }
        guard start.allSatisfy({ $0 >= 0 }), count.allSatisfy({ $0 >= 0 }) else {
            throw file.invalid(object: path, action: action, "negative start or count")
        }
        let total = count.reduce(1, *)
        guard total == valueCount else {
            throw file.invalid(object: path, action: action,
                               "\(valueCount) values given, the block holds \(total)")
        }
        let fileSpace = H5Dget_space(id)
        guard fileSpace >= 0 else { throw file.failure(object: path, action: action) }
        defer { H5Sclose(fileSpace) }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        for axis in 0..<rank where start[axis] + count[axis] > Int(dims[axis]) {
            throw file.invalid(object: path, action: action,
                               "outside the current shape \(dims.prefix(rank).map { Int($0) })")
        }
        if total == 0 { return }
        var fileStart = start.map { hsize_t($0) }
        var fileCount = count.map { hsize_t($0) }
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &fileStart, nil, &fileCount, nil) >= 0 else {
            throw file.failure(object: path, action: action)
        }
        let memory = H5Screate_simple(Int32(rank), &fileCount, nil)
        guard memory >= 0 else { throw file.failure(object: path, action: action) }
        defer { H5Sclose(memory) }
        guard io(memory, fileSpace) >= 0 else {
            throw file.failure(object: path, action: action)
        }
    }

    private static func blockText(_ start: [Int], _ count: [Int]) -> String {
        if start.count == 1, count.count == 1 { return "rows \(start[0])..<\(start[0] + count[0])" }
        return "block start \(start) count \(count)"
    }
}
