// The JSON writer prints the shortest text that reads back to the same double.

import Foundation
import TTCGCommands
import XCTest

final class JSONValueTests: XCTestCase {
    func testNumbersRoundTrip() throws {
        let xs = [1.4375, 0.1, 1.15 / 0.8, 1e-7, 6.0221e23, -0.55, .leastNonzeroMagnitude, 0.1 + 0.2, 1000]
        let text = JSONValue.numbers(xs).rendered(pretty: false)
        XCTAssertTrue(text.hasPrefix("[1.4375,0.1,"), text)
        // Read back with Double(_:), the exact decimal-to-binary conversion (Foundation's
        // JSON reader on Linux is off by an ulp on some inputs, a reader problem).
        let back = text.dropFirst().dropLast().split(separator: ",").map { Double(String($0)) }
        XCTAssertEqual(back, xs)
    }

    func testSpecialValuesAndStrings() throws {
        let doc = JSONValue.object([
            ("nan", .finite(.nan)), ("inf", .number(.infinity)), ("name", .string("a \"b\"\n\\c\u{1}")),
            ("none", .optional(nil)), ("seed", .unsigned(.max)), ("ok", .bool(true)), ("empty", .object([])),
        ])
        for pretty in [true, false] {
            let text = doc.rendered(pretty: pretty)
            let back = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            XCTAssertTrue(back["nan"] is NSNull)
            XCTAssertTrue(back["inf"] is NSNull)
            XCTAssertEqual(back["name"] as? String, "a \"b\"\n\\c\u{1}")
            XCTAssertTrue(text.contains("18446744073709551615"))
        }
    }
}
