// Smoke tests for the system libraries ttcg links against: libzmq (the wire) and
// HDF5 + its high-level library (the results file). If one of these fails, the
// machine is missing or mis-installing a library (see `make deps`); the model
// code is not involved. Public C APIs only, no @testable import.
import CHDF5
import CZeroMQ
import Foundation
import XCTest

final class ZeroMQSmokeTests: XCTestCase {
    /// Bytes that catch truncation at NUL, sign problems and short reads.
    private let payload: [UInt8] = Array("ttcg smoke \u{0}\u{1}\u{7f}".utf8) + (0...255).map(UInt8.init)
        + [UInt8](repeating: 0xA5, count: 4_096)

    func testReportsVersion() {
        let runtime = zmqRuntimeVersion(), headers = zmqHeaderVersion()
        print("libzmq \(runtime) (headers \(headers))")
        XCTAssertEqual(runtime.split(separator: ".").first, headers.split(separator: ".").first,
                       "libzmq is broken: runtime \(runtime) does not match headers \(headers)")
    }

    func testPairRoundTripOverInproc() throws {
        try assertRoundTrip(bindTo: "inproc://ttcg-smoke")
    }

    func testPairRoundTripOverLoopbackTCP() throws {
        try assertRoundTrip(bindTo: "tcp://127.0.0.1:*")
    }

    /// Binds one PAIR socket, connects another to the endpoint it really got,
    /// sends `payload` across and echoes it back.
    private func assertRoundTrip(bindTo address: String) throws {
        try withZeroMQContext { context in
            try withSocket(context, type: ZMQ_PAIR) { server in
                try zmqCheck(zmq_bind(server, address), "zmq_bind(\(address))")
                let endpoint = try lastEndpoint(server)
                if address.hasSuffix(":*") {
                    XCTAssertFalse(endpoint.hasSuffix(":*") || endpoint.hasSuffix(":0"),
                                   "libzmq is broken: ZMQ_LAST_ENDPOINT gave no port: \(endpoint)")
                }
                try withSocket(context, type: ZMQ_PAIR) { client in
                    try zmqCheck(zmq_connect(client, endpoint), "zmq_connect(\(endpoint))")

                    try send(payload, on: client, endpoint)
                    let atServer = try receive(on: server, endpoint)
                    XCTAssertEqual(atServer, payload, "libzmq is broken: \(endpoint) altered the request")

                    try send(atServer, on: server, endpoint)
                    let echoed = try receive(on: client, endpoint)
                    XCTAssertEqual(echoed, payload, "libzmq is broken: \(endpoint) altered the echo")
                }
            }
        }
    }
}

final class HDF5SmokeTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ttcg-hdf5-smoke-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testReportsVersion() throws {
        print("HDF5 \(try hdf5RuntimeVersion())")
    }

    /// Writes a 3 x 4 matrix and a string attribute, reopens read-only, compares bit for bit.
    func testDatasetAndAttributeRoundTrip() throws {
        let file = directory.appendingPathComponent("smoke.h5").path
        // Values whose bits are easy to lose: signed zero, subnormal, extremes, infinity.
        let values: [Double] = [
            0, -0.0, 1, -1,
            .pi, 1.0 / 3.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
            -.infinity, .infinity, 1e-300, -123_456.789,
        ]
        let note = "ttcg smoke test: payoff[provider][step], beta=inf"

        try writeMatrix(values, rows: 3, columns: 4, dataset: "/payoffs", toNewFile: file)
        try setStringAttribute("note", to: note, on: "/payoffs", inFile: file)
        let read = try readBack(dataset: "/payoffs", attribute: "note", fromFile: file)

        XCTAssertEqual(read.dims, [3, 4], "HDF5 is broken: dataset shape changed")
        XCTAssertEqual(read.values.map(\.bitPattern), values.map(\.bitPattern),
                       "HDF5 is broken: doubles did not round-trip bit for bit")
        XCTAssertEqual(read.attribute, note, "HDF5 is broken: string attribute changed")
    }
}
