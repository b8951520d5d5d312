// Attaching dimension scales to many datasets at once.
//
// `H5DSattach_scale` rewrites the scale's whole REFERENCE_LIST attribute on every call, so a
// results file of nine markets, each with 30 columns of 11-12 dimensions, spent 110 ms in
// 3,000 calls, the largest part of a sweep's fixed start-up cost. Here each dataset's
// DIMENSION_LIST and each scale's REFERENCE_LIST is written once, with exactly the types
// and layout hdf5_hl writes (HDF5 Dimension Scale Specification 1.0; `H5DS.c`), so
// `H5DSis_attached`, h5py, netCDF-4 and xarray read them as if attached one by one.

internal import CHDF5

extension H5Group {
    /// Attaches, for every dataset `datasets[d]` and dimension `k`, the scale
    /// `scales[d][k]` (nil: none). The datasets must not have scales attached yet and the
    /// scales must not be attached to anything yet (fresh objects, as a results file's);
    /// otherwise this falls back to `attach(scale:to:dimension:)` one pair at a time.
    public func attach(scales: [[H5Dataset?]], to datasets: [H5Dataset]) throws {
        let action = "cannot attach dimension scales"
        precondition(scales.count == datasets.count, "one list of scales per dataset")
        var distinct: [H5Dataset] = []
        for row in scales { for case let s? in row where !distinct.contains(where: { $0 === s }) { distinct.append(s) } }
        let fresh = try operate(action) {
            try datasets.allSatisfy { H5Aexists($0.id, "DIMENSION_LIST") == 0 && H5DSis_scale($0.id) == 0 }
                && distinct.allSatisfy { H5Aexists($0.id, "REFERENCE_LIST") == 0 && H5DSis_scale($0.id) > 0 }
                && zip(scales, datasets).allSatisfy { row, d in
                    guard row.count == d.rank else {
                        throw file.invalid(object: d.path, action: action, "\(row.count) scales for \(d.rank) dimensions")
                    }
                    return true
                }
        }
        guard fresh else {
            for (d, row) in zip(datasets, scales) {
                for (k, s) in row.enumerated() { if let s { try attach(scale: s, to: d, dimension: k) } }
            }
            return
        }
        try operate(action) {
            let referenceType = ttcg_H5T_STD_REF_OBJ()
            func reference(_ object: H5Dataset) throws -> hobj_ref_t {
                var ref = hobj_ref_t()
                guard ttcg_object_reference(&ref, object.id, ".") >= 0 else {
                    throw file.failure(object: object.path, action: action)
                }
                return ref
            }
            var scaleRefs: [ObjectIdentifier: hobj_ref_t] = [:]
            for s in distinct { scaleRefs[ObjectIdentifier(s)] = try reference(s) }

            // DIMENSION_LIST on each dataset: per dimension, a variable-length list of
            // references to its scales (here zero or one).
            let listType = H5Tvlen_create(referenceType)
            guard listType >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Tclose(listType) }
            var backReferences: [ObjectIdentifier: [(ref: hobj_ref_t, dimension: Int32)]] = [:]
            for (d, row) in zip(datasets, scales) {
                var refs = row.map { s in s.map { scaleRefs[ObjectIdentifier($0)]! } ?? 0 }
                try refs.withUnsafeMutableBufferPointer { refBuffer in
                    var lists = row.indices.map { k in
                        row[k] == nil ? hvl_t(len: 0, p: nil) : hvl_t(len: 1, p: UnsafeMutableRawPointer(refBuffer.baseAddress! + k))
                    }
                    try writeAttribute("DIMENSION_LIST", of: d, type: listType, count: row.count, values: &lists, action: action)
                }
                let datasetRef = try reference(d)
                for (k, s) in row.enumerated() {
                    if let s { backReferences[ObjectIdentifier(s), default: []].append((datasetRef, Int32(k))) }
                }
            }

            // REFERENCE_LIST on each scale: (dataset reference, dimension index) pairs, the
            // compound of hdf5_hl's `ds_list_t { hobj_ref_t ref; unsigned int dim_idx; }`.
            let entrySize = MemoryLayout<hobj_ref_t>.size + MemoryLayout<Int32>.size
            let stride = (entrySize + MemoryLayout<hobj_ref_t>.alignment - 1) / MemoryLayout<hobj_ref_t>.alignment * MemoryLayout<hobj_ref_t>.alignment
            let entryType = H5Tcreate(H5T_COMPOUND, stride)
            guard entryType >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Tclose(entryType) }
            H5Tinsert(entryType, "dataset", 0, referenceType)
            H5Tinsert(entryType, "dimension", MemoryLayout<hobj_ref_t>.size, ttcg_H5T_NATIVE_INT())
            for s in distinct {
                let entries = backReferences[ObjectIdentifier(s)] ?? []
                var bytes = [UInt8](repeating: 0, count: max(1, entries.count) * stride)
                bytes.withUnsafeMutableBytes { raw in
                    for (i, e) in entries.enumerated() {
                        raw.storeBytes(of: e.ref, toByteOffset: i * stride, as: hobj_ref_t.self)
                        raw.storeBytes(of: e.dimension, toByteOffset: i * stride + MemoryLayout<hobj_ref_t>.size, as: Int32.self)
                    }
                }
                try writeAttribute("REFERENCE_LIST", of: s, type: entryType, count: entries.count, values: &bytes, action: action)
            }
        }
    }

    /// Creates and writes a 1-D attribute of `count` elements of `type` on `object`.
    private func writeAttribute<T>(_ name: String, of object: H5Dataset, type: hid_t, count: Int,
                                   values: inout [T], action: String) throws {
        var dims = [hsize_t(count)]
        let space = H5Screate_simple(1, &dims, nil)
        guard space >= 0 else { throw file.failure(object: object.path, action: action) }
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(object.id, name, type, space, ttcg_H5P_DEFAULT(), ttcg_H5P_DEFAULT())
        guard attribute >= 0 else { throw file.failure(object: object.path, action: action) }
        defer { H5Aclose(attribute) }
        let written = values.withUnsafeMutableBytes { H5Awrite(attribute, type, $0.baseAddress!) }
        guard written >= 0 else { throw file.failure(object: object.path, action: action) }
    }
}
