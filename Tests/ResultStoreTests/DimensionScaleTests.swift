// Dimension scales (hdf5_hl H5DS): making scales, attaching them, labels, and the
// DIMENSION_LIST / REFERENCE_LIST attributes netCDF tools read.
import Foundation
import ResultStore
import XCTest

final class DimensionScaleTests: XCTestCase {
    func testScalesAttachAndLabel() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("scales.h5")
        do {
            let file = try H5File.create(path)
            let market = try file.createGroup("gsm8k-best-of-n")
            let beta = try market.createDataset("beta", of: Double.self, dims: [3])
            try beta.write([1, 1000, .infinity])
            try beta.makeDimensionScale()
            let seed = try market.createDataset("seed", of: Int64.self, dims: [2])
            try seed.write([Int64(1), 2])
            try seed.makeDimensionScale(name: "seed")
            let poa = try market.createDataset("poa", of: Double.self, dims: [3, 2])
            XCTAssertFalse(try poa.isAttached(scale: beta, dimension: 0))
            try market.attach(scale: beta, to: poa, dimension: 0)
            try market.attach(scale: seed, to: poa, dimension: 1)
            try poa.setDimensionLabel("beta", dimension: 0)
            try poa.setDimensionLabel("seed", dimension: 1)
            let error = assertHDF5Error(.invalidArgument) { try market.attach(scale: seed, to: poa, dimension: 2) }
            XCTAssertEqual(error?.description,
                           "\(path): /gsm8k-best-of-n/poa: cannot attach dimension scale '/gsm8k-best-of-n/seed' to dimension 2: the dataset has 2 dimension(s)")
            assertHDF5Error(.library) { try market.attach(scale: beta, to: seed, dimension: 0) } // a scale can't get scales
        }
        let file = try H5File.open(path)
        let market = try file.openGroup("gsm8k-best-of-n")
        let beta = try market.openDataset("beta"), seed = try market.openDataset("seed")
        let poa = try market.openDataset("poa")
        XCTAssertTrue(try beta.isDimensionScale())
        XCTAssertTrue(try seed.isDimensionScale())
        XCTAssertFalse(try poa.isDimensionScale())
        XCTAssertTrue(try poa.isAttached(scale: beta, dimension: 0))
        XCTAssertTrue(try poa.isAttached(scale: seed, dimension: 1))
        XCTAssertFalse(try poa.isAttached(scale: seed, dimension: 0))
        XCTAssertEqual(try poa.scaleCount(dimension: 0), 1)
        XCTAssertEqual(try poa.dimensionLabel(dimension: 0), "beta")
        XCTAssertEqual(try poa.dimensionLabel(dimension: 1), "seed")
        XCTAssertEqual(try beta.dimensionLabel(dimension: 0), nil)
        // What netCDF tools read: the scale's CLASS and NAME, the dataset's DIMENSION_LIST.
        XCTAssertEqual(try beta.stringAttribute("CLASS"), "DIMENSION_SCALE")
        XCTAssertEqual(try beta.stringAttribute("NAME"), "beta")
        XCTAssertTrue(try poa.hasAttribute("DIMENSION_LIST"))
        XCTAssertTrue(try beta.hasAttribute("REFERENCE_LIST"))
    }

    /// Attaching many scales at once writes what attaching them one by one writes, as
    /// hdf5_hl itself reads it back (`H5DSis_attached` checks both directions), including
    /// a scale shared by several datasets and dimensions and a dimension left without one.
    func testAttachingAtOnceEqualsAttachingOneByOne() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("batch.h5")
        let file = try H5File.create(path)
        var groups: [(scales: [H5Dataset], datasets: [H5Dataset])] = []
        let plan: [[Int?]] = [[0, 1, 2], [0, nil, 1], [2, 2, 0], [1, 0, 2]]   // scale per dimension of each dataset
        for (g, name) in ["one-by-one", "at-once"].enumerated() {
            let group = try file.createGroup(name)
            var scales: [H5Dataset] = []
            for k in 0..<3 {
                let s = try group.createDataset("axis\(k)", of: Double.self, dims: [4])
                try s.write([1, 2, 3, 4].map { Double($0 * (k + 1)) })
                try s.makeDimensionScale()
                scales.append(s)
            }
            var datasets: [H5Dataset] = []
            for d in plan.indices { datasets.append(try group.createDataset("column\(d)", of: Double.self, dims: [4, 4, 4])) }
            let attachments = plan.map { row in row.map { $0.map { scales[$0] } } }
            if g == 0 {
                for (d, row) in zip(datasets, attachments) {
                    for (k, s) in row.enumerated() { if let s { try group.attach(scale: s, to: d, dimension: k) } }
                }
            } else {
                try group.attach(scales: attachments, to: datasets)
            }
            groups.append((scales, datasets))
        }
        for (scales, datasets) in groups {
            for (d, row) in zip(datasets, plan) {
                for k in 0..<3 {
                    for (j, s) in scales.enumerated() {
                        XCTAssertEqual(try d.isAttached(scale: s, dimension: k), row[k] == j, "\(d.path) dimension \(k), \(s.path)")
                    }
                    XCTAssertEqual(try d.scaleCount(dimension: k), row[k] == nil ? 0 : 1)
                }
            }
        }
        // Datasets that already have scales: attached one by one, the same outcome.
        let again = try file.openGroup("at-once")
        let extra = try again.openDataset("axis0")
        let more = try again.createDataset("later", of: Double.self, dims: [4])
        try again.attach(scales: [[extra]], to: [more])
        try again.attach(scales: [[groups[1].scales[1]]], to: [more])
        XCTAssertTrue(try more.isAttached(scale: extra, dimension: 0))
        XCTAssertTrue(try more.isAttached(scale: groups[1].scales[1], dimension: 0))
        XCTAssertEqual(try more.scaleCount(dimension: 0), 2)
    }
}
