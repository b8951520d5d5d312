// Not a timed test: a measurement to run on demand, so figures for the README come from the
// real sockets without a flaky assertion on a shared 2-core machine.
//
//   TTCG_WIRE_BENCH=1 swift test -c release --filter WireTests.RoundTripRate
//
// A ROUTER thread echoes what DEALERs send over loopback TCP, as a coordinator answers
// workers; the DEALER keeps `window` requests in flight (1 = strict ping-pong, the latency
// bound; larger = a worker with several leases outstanding, the throughput bound).
import Foundation
import Wire
import XCTest

final class RoundTripRate: XCTestCase {
    func testMeasureRoundTripRate() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["TTCG_WIRE_BENCH"] != nil,
                          "set TTCG_WIRE_BENCH=1 to measure ROUTER<->DEALER round trips")
        for (window, size, count) in [(1, 64, 20_000), (8, 64, 100_000), (64, 64, 200_000),
                                      (256, 64, 200_000), (256, 1_024, 200_000)] {
            let context = try ZMQContext()
            let (server, endpoint) = try startEchoServer(context)
            let dealer = try context.socket(.dealer)
            try dealer.connect(endpoint)
            let frames = [[UInt8](repeating: 7, count: size)]
            _ = try pump(dealer, count: 1_000, window: window, frames: frames)   // warm up
            let rate = try perSecond(count) { _ = try pump(dealer, count: count, window: window, frames: frames) }
            try dealer.send([stopFrame])
            try server.join()
            print("Wire: ROUTER<->DEALER window \(window), \(size)-byte frames: \(Int(rate)) round trips/s")
        }
        try measureCodec()
    }

    /// A work-item-sized message: encode and decode, no sockets.
    private func measureCodec() throws {
        let count = 1_000_000
        let costs: [Double] = [0.25, 1.0, 0.5, 2.0, 0.125, 4.0]
        var checksum: UInt64 = 0
        let rate = try perSecond(count) {
            var writer = WireWriter(capacity: 128)
            for i in 0..<count {
                writer.removeAll()
                writer.writeUInt8(3)
                writer.writeUInt64(UInt64(i))
                writer.writeString("gsm8k/best-of-n")
                writer.writeFloat64(1_000)
                writer.writeFloat64Array(costs)
                var reader = WireReader(writer.bytes)
                _ = try reader.readUInt8()
                checksum &+= try reader.readUInt64()
                _ = try reader.readString(maxUTF8Count: 256)
                _ = try reader.readFloat64(.notNaN)
                _ = try reader.readFloat64Array(maxCount: 64, .finite)
                try reader.finish()
            }
        }
        XCTAssertEqual(checksum, UInt64(count * (count - 1) / 2))
        print("Wire: codec, encode + decode of a 90-byte message: \(Int(rate)) per second")
    }

    private func perSecond(_ count: Int, _ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = (clock.now - start).components
        return Double(count) / (Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
    }
}
