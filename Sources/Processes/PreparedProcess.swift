import Foundation

/// A child started before its input is known, waiting on its stdin: an interpreter's
/// start (node's is ~80 ms) is paid ahead, off the path of the work that needs it. Used
/// once: `finish` writes the input, closes stdin and collects the output like
/// `ChildProcess.runBlocking` (same deadline, same limits, its own process group). If the
/// daemon dies first, the child reads end of input and exits by itself.
public final class PreparedProcess: Sendable {
    let pid: pid_t
    let stdinFD: Int32
    let readFD: Int32

    public init(_ executable: String, _ arguments: [String]) throws(ChildProcess.SpawnError) {
        // A child that died before its input was written: the write gets EPIPE instead of
        // the signal killing the daemon (children get default handling back at spawn).
        signal(SIGPIPE, SIG_IGN)
        let output = try ChildProcess.makePipe()
        let input: (read: Int32, write: Int32)
        do throws(ChildProcess.SpawnError) { input = try ChildProcess.makePipe() } catch {
            close(output.read); close(output.write)
            throw error
        }
        do throws(ChildProcess.SpawnError) {
            pid = try ChildProcess.spawn(executable, arguments, environment: nil, stdin: .descriptor(input.read), output: output.write, errors: nil)
        } catch {
            close(output.read); close(input.write)
            throw error
        }
        stdinFD = input.write
        readFD = output.read
    }

    /// Gives the child its whole input and waits for it (blocking the calling thread).
    public func finish(input: [UInt8], timeout: Duration, outputLimit: Int) -> ChildProcess.Output {
        // The child reads all of its input before it writes: no deadlock on a full pipe.
        // A child that died meanwhile: EPIPE, and its status tells.
        var offset = 0
        while offset < input.count {
            let n = input[offset...].withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        close(stdinFD)
        return ChildProcess.collect(pid: pid, readFD: readFD, errorsFD: nil, timeout: timeout, outputLimit: outputLimit)
    }
}
