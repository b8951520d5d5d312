// Thin helpers over the HDF5 C API, just enough for the smoke test.
// HDF5 also prints its own error stack to stderr when a call fails; these errors
// add the one line CI shows: which library, which call.
import CHDF5

/// An HDF5 call that returned a negative id or status.
struct HDF5Failure: Error, CustomStringConvertible {
    let call: String
    var description: String { "HDF5 (libhdf5 / libhdf5_hl) is broken: \(call) failed" }
}

/// Throws unless `id` is a valid identifier.
@discardableResult
func h5Check(_ id: hid_t, _ call: @autoclosure () -> String) throws -> hid_t {
    guard id >= 0 else { throw HDF5Failure(call: call()) }
    return id
}

/// Throws unless `status` is non-negative.
func h5Check(_ status: herr_t, _ call: @autoclosure () -> String) throws {
    guard status >= 0 else { throw HDF5Failure(call: call()) }
}

/// The runtime library version, e.g. "1.10.8".
func hdf5RuntimeVersion() throws -> String {
    var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
    try h5Check(H5get_libversion(&major, &minor, &release), "H5get_libversion")
    return "\(major).\(minor).\(release)"
}

/// Writes `values` (row-major, `rows` x `columns`) as a double dataset at `path` in a new file.
func writeMatrix(_ values: [Double], rows: Int, columns: Int,
                 dataset path: String, toNewFile file: String) throws {
    precondition(values.count == rows * columns)
    let fileID = try h5Check(
        H5Fcreate(file, ttcg_H5F_ACC_TRUNC(), ttcg_H5P_DEFAULT(), ttcg_H5P_DEFAULT()),
        "H5Fcreate(\(file))")
    defer { H5Fclose(fileID) }

    let dims: [hsize_t] = [hsize_t(rows), hsize_t(columns)]
    let space = try h5Check(H5Screate_simple(2, dims, nil), "H5Screate_simple")
    defer { H5Sclose(space) }

    let dataset = try h5Check(
        H5Dcreate2(fileID, path, ttcg_H5T_NATIVE_DOUBLE(), space,
                   ttcg_H5P_DEFAULT(), ttcg_H5P_DEFAULT(), ttcg_H5P_DEFAULT()),
        "H5Dcreate2(\(path))")
    defer { H5Dclose(dataset) }

    try h5Check(H5Dwrite(dataset, ttcg_H5T_NATIVE_DOUBLE(), ttcg_H5S_ALL(), ttcg_H5S_ALL(),
                         ttcg_H5P_DEFAULT(), values),
                "H5Dwrite(\(path))")
}

/// Attaches a string attribute with the high-level library (proves libhdf5_hl links).
func setStringAttribute(_ name: String, to value: String, on object: String, inFile file: String) throws {
    let fileID = try h5Check(H5Fopen(file, ttcg_H5F_ACC_RDWR(), ttcg_H5P_DEFAULT()),
                             "H5Fopen(\(file), RDWR)")
    defer { H5Fclose(fileID) }
    try h5Check(H5LTset_attribute_string(fileID, object, name, value),
                "H5LTset_attribute_string(\(object)@\(name)) [libhdf5_hl]")
}

/// What `readBack` found in a file.
struct MatrixFile {
    var dims: [hsize_t]
    var values: [Double]
    var attribute: String
}

/// Opens `file` read-only and reads the dataset and one string attribute with the core API.
func readBack(dataset path: String, attribute name: String, fromFile file: String) throws -> MatrixFile {
    let fileID = try h5Check(H5Fopen(file, ttcg_H5F_ACC_RDONLY(), ttcg_H5P_DEFAULT()),
                             "H5Fopen(\(file), RDONLY)")
    defer { H5Fclose(fileID) }

    let dataset = try h5Check(H5Dopen2(fileID, path, ttcg_H5P_DEFAULT()), "H5Dopen2(\(path))")
    defer { H5Dclose(dataset) }

    let space = try h5Check(H5Dget_space(dataset), "H5Dget_space(\(path))")
    defer { H5Sclose(space) }
    let rank = H5Sget_simple_extent_ndims(space)
    try h5Check(rank, "H5Sget_simple_extent_ndims(\(path))")
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    try h5Check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims(\(path))")

    var values = [Double](repeating: .nan, count: Int(dims.reduce(1, *)))
    try h5Check(H5Dread(dataset, ttcg_H5T_NATIVE_DOUBLE(), ttcg_H5S_ALL(), ttcg_H5S_ALL(),
                        ttcg_H5P_DEFAULT(), &values),
                "H5Dread(\(path))")

    return MatrixFile(dims: dims, values: values,
                      attribute: try readStringAttribute(name, of: dataset))
}

/// Reads a fixed-length string attribute, whatever length it was stored with.
private func readStringAttribute(_ name: String, of object: hid_t) throws -> String {
    let attribute = try h5Check(H5Aopen(object, name, ttcg_H5P_DEFAULT()), "H5Aopen(\(name))")
    defer { H5Aclose(attribute) }
    let storedType = try h5Check(H5Aget_type(attribute), "H5Aget_type(\(name))")
    defer { H5Tclose(storedType) }
    let size = H5Tget_size(storedType)
    guard size > 0 else { throw HDF5Failure(call: "H5Tget_size(\(name))") }

    let memoryType = try h5Check(H5Tcopy(ttcg_H5T_C_S1()), "H5Tcopy(H5T_C_S1)")
    defer { H5Tclose(memoryType) }
    try h5Check(H5Tset_size(memoryType, size), "H5Tset_size")
    // One extra zero byte, so the buffer is a C string even if HDF5 filled all `size`.
    var buffer = [CChar](repeating: 0, count: size + 1)
    try h5Check(H5Aread(attribute, memoryType, &buffer), "H5Aread(\(name))")
    return decodeCString(buffer)
}
