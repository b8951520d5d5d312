// Attributes on the file, groups and datasets: every kind, round trips, overwrites,
// and errors.
import Foundation
import ResultStore
import XCTest

final class AttributeTests: XCTestCase {
    func testEveryKindRoundTripsOnFileGroupAndDataset() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("attributes.h5")
        let spec = "name: paper\nbeta: {logspace: [0, 6, 100]}\nnote: \"ünïcødé ✓\"\n"
        do {
            let file = try H5File.create(path)
            let group = try file.createGroup("market")
            let dataset = try group.createDataset("poa", of: Double.self, dims: [2])
            for object in [file, group, dataset] as [H5Object] {
                try object.setAttribute("double", 2.5)
                try object.setAttribute("int64", Int64(-42))
                try object.setAttribute("int", 7)
                try object.setAttribute("int32", Int32(-3))
                try object.setAttribute("float", Float(0.5))
                try object.setAttribute("flag", UInt8(1))
                try object.setAttribute("text", spec)
                try object.setAttribute("empty_text", "")
                try object.setAttribute("doubles", [1.0, .nan, -.infinity, 1e300])
                try object.setAttribute("int64s", [Int64.min, 0, Int64.max])
                try object.setAttribute("strings", ["GPT-4o", "Llama 3", "", "λ"])
                try object.setAttribute("no_doubles", [Double]())
                try object.setAttribute("no_strings", [String]())
            }
            try file.close()
        }
        let file = try H5File.open(path)
        let objects: [H5Object] = [file, try file.openGroup("market"), try file.openDataset("market/poa")]
        for object in objects {
            XCTAssertEqual(try object.attribute("double", as: Double.self), 2.5)
            XCTAssertEqual(try object.attribute("int64", as: Int64.self), -42)
            XCTAssertEqual(try object.attribute("int64", as: Double.self), -42) // int -> float is fine
            XCTAssertEqual(try object.attribute("int", as: Int.self), 7)
            XCTAssertEqual(try object.attribute("int32", as: Int32.self), -3)
            XCTAssertEqual(try object.attribute("int32", as: Int64.self), -3)
            XCTAssertEqual(try object.attribute("float", as: Float.self), 0.5)
            XCTAssertEqual(try object.attribute("flag", as: UInt8.self), 1)
            XCTAssertEqual(try object.stringAttribute("text"), spec)
            XCTAssertEqual(try object.stringAttribute("empty_text"), "")
            XCTAssertEqual(try object.stringArrayAttribute("text"), [spec])
            assertSameDoubles(try object.arrayAttribute("doubles", as: Double.self), [1.0, .nan, -.infinity, 1e300])
            XCTAssertEqual(try object.arrayAttribute("int64s", as: Int64.self), [Int64.min, 0, Int64.max])
            XCTAssertEqual(try object.arrayAttribute("double", as: Double.self), [2.5])
            XCTAssertEqual(try object.stringArrayAttribute("strings"), ["GPT-4o", "Llama 3", "", "λ"])
            XCTAssertEqual(try object.arrayAttribute("no_doubles", as: Double.self), [])
            XCTAssertEqual(try object.stringArrayAttribute("no_strings"), [])
            XCTAssertTrue(try object.hasAttribute("text"))
            XCTAssertFalse(try object.hasAttribute("nope"))
            XCTAssertEqual(try object.attributeNames().sorted(),
                           ["double", "doubles", "empty_text", "flag", "float", "int", "int32", "int64",
                            "int64s", "no_doubles", "no_strings", "strings", "text"])
        }
    }

    func testOverwriteInPlaceAndWithAnotherType() throws {
        let dir = try TemporaryDirectory()
        let file = try H5File.create(dir.path("overwrite.h5"))
        try file.setAttribute("completed", UInt8(0))
        try file.setAttribute("completed", UInt8(1))
        XCTAssertEqual(try file.attribute("completed", as: UInt8.self), 1)
        try file.setAttribute("finished", "")
        try file.setAttribute("finished", "2026-11-24T10:00:00Z")
        XCTAssertEqual(try file.stringAttribute("finished"), "2026-11-24T10:00:00Z")
        try file.setAttribute("x", [1.0, 2.0])
        try file.setAttribute("x", "now a string")
        XCTAssertEqual(try file.stringAttribute("x"), "now a string")
        try file.setAttribute("y", [1.0, 2.0])
        try file.setAttribute("y", [1.0, 2.0, 3.0])
        XCTAssertEqual(try file.arrayAttribute("y", as: Double.self), [1, 2, 3])
        try file.deleteAttribute("y")
        XCTAssertFalse(try file.hasAttribute("y"))
    }

    func testAttributeErrors() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("errors.h5")
        let file = try H5File.create(path)
        let group = try file.createGroup("gsm8k-best-of-n")
        try group.setAttribute("name", "gsm8k")
        try group.setAttribute("betas", [1.0, 2.0])
        try group.setAttribute("alpha", 2.5)
        let missing = assertHDF5Error(.objectNotFound) { try group.stringAttribute("nope") }
        XCTAssertEqual(missing?.description,
                       "\(path): /gsm8k-best-of-n: cannot read attribute 'nope': no such attribute")
        let wrongType = assertHDF5Error(.invalidArgument) { try group.attribute("name", as: Double.self) }
        XCTAssertEqual(wrongType?.description,
                       "\(path): /gsm8k-best-of-n: cannot read attribute 'name': it holds string, not numbers")
        assertHDF5Error(.invalidArgument) { try group.stringAttribute("alpha") }
        assertHDF5Error(.invalidArgument) { try group.attribute("betas", as: Double.self) }
        assertHDF5Error(.invalidArgument) { try group.attribute("alpha", as: Int64.self) }
        assertHDF5Error(.library) { try group.deleteAttribute("nope") }
    }
}
