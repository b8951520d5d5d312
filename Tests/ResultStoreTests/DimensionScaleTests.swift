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
}
