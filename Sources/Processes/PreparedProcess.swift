import Foundation
import Synchronization

/// A child started before its input is known, waiting on its stdin: an interpreter's
/// start (node's is ~80 ms) is paid ahead, off the path of the work that needs it. Used
/// once: `finish` writes the input, closes stdin and collects the output like
/// `ChildProcess.runBlocking` (same deadline, same limits, its own process group). If the
/// daemon dies first, the child reads end of input and exits by itself.
public final class PreparedProcess: Sendable {
    let pid: pid_t
    let stdinFD: Int32
    let readFD: Int32
    private let used = Atomic<Bool>(false)

    public init(_ executable: String, _ arguments: [String]) throws(ChildProcess.SpawnError) {
        // A child that died before its input was written: the write gets EPIPE instead of
        // the signal killing the daemon (children get default handling back at spawn).
        signal(SIGPIPE, SIG_IGN)
        let output = try ChildProcess.makePipe()
        let input: (read: Int32, write: Int32)
        do throws(ChildProcess.SpawnError) { input = try ChildProcess.makePipe() } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        do throws(ChildProcess.SpawnError) {
            pid = try ChildProcess.spawn(
                executable, arguments, environment: nil, stdin: .descriptor(input.read), output: output.write,
                errors: nil)
        } catch {
            close(output.read)
            close(input.write)
            throw error
        }
        stdinFD = input.write
        readFD = output.read
    }

    /// Gives the child its whole input and waits for it (blocking the calling thread).
    /// The input is written within the same deadline: a child that stops reading is
    /// killed with its group, and its status tells.
    public func finish(input: [UInt8], timeout: Duration, outputLimit: Int) -> ChildProcess.Output {
        used.store(true, ordering: .relaxed)
        let deadline = ContinuousClock.now + timeout
        _ = fcntl(stdinFD, F_SETFL, O_NONBLOCK)
        var offset = 0
        while offset < input.count {
            let n = input[offset...].withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                let left = deadline - ContinuousClock.now
                if left > .zero {
                    var fd = pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)
                    _ = poll(
                        &fd, 1,
                        Int32(
                            min(
                                1000,
                                max(
                                    1,
                                    left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                                ))))
                    continue
                }
                kill(-pid, SIGKILL)
            }
            break  // EPIPE: the child died; its status tells
        }
        close(stdinFD)
        let left = deadline - ContinuousClock.now
        return ChildProcess.collect(
            pid: pid, readFD: readFD, errorsFD: nil, timeout: max(left, .milliseconds(1)), outputLimit: outputLimit)
    }

    /// Never used: the child is stopped and reaped, its pipes closed.
    deinit {
        guard !used.load(ordering: .relaxed) else { return }
        close(stdinFD)
        close(readFD)
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
