import Foundation
import Processes
import State
import Toolkit

/// Runs `body` repeatedly (at least `minRuns`, until about `budget` has passed) and returns
/// the median duration in seconds.
func median(minRuns: Int = 5, budget: Double = 1.0, _ body: () throws -> Void) rethrows -> Double {
    var samples: [Double] = []
    let clock = ContinuousClock()
    let started = clock.now
    while samples.count < minRuns || (clock.now - started) < .seconds(budget) {
        let t = clock.now
        try body()
        let d = clock.now - t
        samples.append(d.seconds)
        if samples.count >= 10_000 { break }
    }
    samples.sort()
    return samples[samples.count / 2]
}

func formatSeconds(_ s: Double) -> String {
    if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
    if s < 1 { return String(format: "%.2f ms", s * 1e3) }
    return String(format: "%.2f s", s)
}

func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
}

/// Runs a command and returns its standard output (for peers that time themselves).
func capture(_ executable: String, _ args: [String]) -> String? {
    guard let out = try? ChildProcess.runBlocking(executable, args, outputLimit: 16 << 20, separateErrors: true),
        out.status == 0
    else { return nil }
    return out.text
}
