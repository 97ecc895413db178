/// Waits (real time, bounded: 10 s) until `condition` holds, yielding between looks; throws
/// `CancellationError` at the deadline. For conditions another task makes true soon (a
/// waiter registered, a timer asleep), never as a pause.
public func until(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw CancellationError() }
        await Task.yield()
    }
}

/// `until` with a deadline of the caller's (for conditions that wait on servers and
/// clients of a loaded test run, not only on another task's next step).
public func until(timeout: Duration, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(2))
    }
}
