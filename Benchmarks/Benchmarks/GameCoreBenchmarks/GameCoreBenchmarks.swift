// GameCore benchmarks (ordo-one/benchmark). Cases and targets: ../../README.md.
//
//   swift package --package-path Benchmarks benchmark --target GameCoreBenchmarks
//   swift package --package-path Benchmarks benchmark --target GameCoreBenchmarks --filter 'max welfare 1000x64.*'

import Benchmark
import BenchSupport
import Foundation
import GameCore

/// Builds a case's game outside the measured region; a missing input stops the run with its reason.
private func load(_ what: String, _ make: () throws -> Game) -> Game {
    do { return try make() } catch {
        FileHandle.standardError.write(Data("GameCoreBenchmarks: cannot build \(what): \(error)\n".utf8))
        exit(2)
    }
}

let benchmarks: @Sendable () -> Void = {
    // Microsecond cases: many iterations, nanosecond display (the CPU-time metric ticks in
    // 10 ms on Linux, useless here).
    let micro = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds,
                                        warmupIterations: 1_000, maxDuration: .seconds(3), maxIterations: 200_000)
    // Milliseconds: a few hundred iterations, microsecond display.
    let milli = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], timeUnits: .microseconds,
                                        warmupIterations: 3, maxDuration: .seconds(5), maxIterations: 200)
    // Tenths of a second and up: a handful; CPU time next to wall clock shows the threads at work.
    func slow(_ iterations: Int) -> Benchmark.Configuration {
        Benchmark.Configuration(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], timeUnits: .microseconds,
                                warmupIterations: 1, maxDuration: .seconds(120), maxIterations: iterations)
    }

    let gsm8k = load("the GSM8K best-of-n market (a)") { try BenchMarkets.gsm8kGame() }
    let large = load("the 1000x64 random market (b)") { try BenchMarkets.largeGame() }
    let nine = load("the 9x7 random market (c)") { try BenchMarkets.enumerationGame() }

    // (a) One complete game: dynamics (default options, seed 0), exact max welfare, PoA,
    // auction, market statistics, theorem checks.
    Benchmark("complete game 9x6 beta=1000", configuration: micro) { benchmark in
        blackHole(try gsm8k.solve())
    }

    // (d) Where (a)'s time goes.
    Benchmark("dynamics only 9x6", configuration: micro) { benchmark in
        blackHole(gsm8k.betterResponseDynamics())
    }
    Benchmark("max welfare only 9x6", configuration: micro) { benchmark in
        blackHole(gsm8k.maximumWelfare())
    }

    // (b) Exact max welfare (Dinkelbach) on a large market.
    Benchmark("max welfare 1000x64 beta=1000", configuration: milli) { benchmark in
        blackHole(large.maximumWelfare())
    }

    // (c) Every pure equilibrium of a 9x7 market (40,353,607 profiles).
    Benchmark("all equilibria 9x7 beta=1000, 2 threads", configuration: slow(15)) { benchmark in
        blackHole(try nine.enumerateEquilibria(EnumerationOptions(threads: 2)))
    }
    Benchmark("all equilibria 9x7 beta=1000, 1 thread", configuration: slow(10)) { benchmark in
        blackHole(try nine.enumerateEquilibria(EnumerationOptions(threads: 1)))
    }

    // The same enumeration on market (a), 6^9 = 10,077,696 profiles: the Swift side of the
    // comparison with numpy_baseline.py.
    Benchmark("all equilibria 9x6 GSM8K beta=1000, 2 threads", configuration: slow(50)) { benchmark in
        blackHole(try gsm8k.enumerateEquilibria(EnumerationOptions(threads: 2)))
    }
}
