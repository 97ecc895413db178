import Foundation
import Synchronization

/// The one way the agent runs another program (syntax checks, image builds; the tests use
/// it too): `posix_spawn` in its own process group, stdin from /dev/null or given bytes,
/// stdout and stderr merged into a pipe of which only the last `outputLimit` bytes are
/// kept, a deadline after which the whole group gets SIGTERM and, 2 s later, SIGKILL.
/// Each child is watched by a thread of its own, never by Swift's cooperative pool, and
/// without dispatch sources (Foundation's `Process` crashed libdispatch under parallel
/// use, and stalls in waitpid once a child closes inherited descriptors).
public enum ChildProcess {
    public struct Output: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        /// The last `outputLimit` bytes of stdout and stderr, interleaved as written.
        public var output: [UInt8]
        /// Whether the deadline passed (the process group was then killed).
        public var timedOut: Bool
        /// Whether output beyond `outputLimit` was dropped (from the start).
        public var truncated: Bool
        /// stderr, when it was asked for apart (`separateErrors`); else empty.
        public var errorOutput: [UInt8] = []

        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Runs to completion on a thread of its own, awaited without blocking the caller's
    /// executor.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input: [UInt8]? = nil, timeout: Duration = .seconds(600), outputLimit: Int = 1 << 20,
        separateErrors: Bool = false
    ) async throws(SpawnError) -> Output {
        // A thread of its own (why not a pool): the child's whole life (spawn, the pipes,
        // waitpid up to the deadline) blocks it, and a build may take minutes; a pool's
        // thread held that long starves the work that shares it.
        let result: Result<Output, SpawnError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(SpawnError) {
                    continuation.resume(
                        returning: .success(
                            try runBlocking(
                                executable, arguments, environment: environment, input: input,
                                timeout: timeout, outputLimit: outputLimit,
                                separateErrors: separateErrors)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// The same, blocking the calling thread (for callers already off the cooperative pool).
    public static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input: [UInt8]? = nil, timeout: Duration = .seconds(600), outputLimit: Int = 1 << 20,
        separateErrors: Bool = false
    ) throws(SpawnError) -> Output {
        let (readFD, writeFD) = try makePipe()
        let errors: (read: Int32, write: Int32)? = separateErrors ? try makePipe() : nil
        var inputFile: String?
        defer { if let inputFile { unlink(inputFile) } }
        if let input {
            let path = FileManager.default.temporaryDirectory.path + "/zg-input-\(UInt64.random(in: .min ... .max))"
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                close(readFD)
                close(writeFD)
                throw SpawnError(
                    description: "cannot write the input of \(executable): \(String(cString: strerror(errno)))")
            }
            var offset = 0
            while offset < input.count {
                let n = input[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                offset += n
            }
            close(fd)
            inputFile = path
        }

        let pid: pid_t
        do throws(SpawnError) {
            pid = try spawn(
                executable, arguments, environment: environment, stdin: .path(inputFile ?? "/dev/null"),
                output: writeFD,
                errors: errors?.write)
        } catch {
            close(readFD)
            if let errors { close(errors.read) }
            throw error
        }
        return collect(pid: pid, readFD: readFD, errorsFD: errors?.read, timeout: timeout, outputLimit: outputLimit)
    }

    static func makePipe() throws(SpawnError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        // Close-on-exec from the start: not inherited by a child spawned meanwhile on
        // another thread (a write end held elsewhere would delay EOF).
        guard systemPipe2(&fds, O_CLOEXEC) == 0 else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    enum Stdin {
        case path(String)
        case descriptor(Int32)
    }

    /// Starts the child: stdin as given, stdout (and stderr unless `errors`) to `output`.
    /// The write ends are closed here (also on failure), as is a given stdin descriptor.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?, stdin: Stdin,
        output writeFD: Int32, errors errorsWrite: Int32?
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch stdin {
        case .path(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, writeFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errorsWrite ?? writeFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (killed as a whole at the deadline), default signal
        // handling (the daemon's SIGHUP/SIGTERM handling is not inherited).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        close(writeFD)
        if let errorsWrite { close(errorsWrite) }
        if case .descriptor(let fd) = stdin { close(fd) }
        guard rc == 0 else {
            throw SpawnError(description: "\(executable) could not be started: \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Reads the child's output until it exits (the deadline enforced), reaps it, and
    /// closes the read ends.
    static func collect(pid: pid_t, readFD: Int32, errorsFD: Int32?, timeout: Duration, outputLimit: Int) -> Output {
        let errors: (read: Int32, write: Int32)? = errorsFD.map { ($0, -1) }
        defer {
            close(readFD)
            if let errors { close(errors.read) }
        }

        let deadline = ContinuousClock.now + timeout
        var killedAt: ContinuousClock.Instant?
        var output = Ring(limit: outputLimit)
        var errorOutput = Ring(limit: outputLimit)
        var eof = false
        var errorsEOF = errors == nil
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        func drain(_ fd: Int32, into ring: inout Ring) {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    ring.append(buffer[0..<n])
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                return
            }
        }
        var status: Int32 = 0
        while true {
            // Exited? (WNOWAIT: not reaped yet, so the pid cannot be reused before the kill
            // below has been decided.)
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid
            {
                break
            }
            let now = ContinuousClock.now
            if now >= deadline {
                if killedAt == nil {
                    killedAt = now
                    kill(-pid, SIGTERM)
                } else if now - killedAt! >= .seconds(2) {
                    kill(-pid, SIGKILL)
                }
            }
            if eof && errorsEOF {
                usleep(5_000)
                continue
            }
            var fds = [
                pollfd(fd: eof ? -1 : readFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errorsEOF ? -1 : errors!.read, events: Int16(POLLIN), revents: 0),
            ]
            let waitMs = Int32(min(100, max(1, Int((deadline - now).components.seconds * 1000))))
            if poll(&fds, 2, waitMs) > 0 {
                if fds[0].revents != 0 {
                    let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                    if n > 0 { output.append(buffer[0..<n]) } else if n == 0 { eof = true }
                }
                if fds[1].revents != 0, let errors {
                    let n = buffer.withUnsafeMutableBytes { read(errors.read, $0.baseAddress, $0.count) }
                    if n > 0 { errorOutput.append(buffer[0..<n]) } else if n == 0 { errorsEOF = true }
                }
            }
        }
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // What is still in the pipes (without waiting for grandchildren that keep them open).
        _ = fcntl(readFD, F_SETFL, O_NONBLOCK)
        if !eof { drain(readFD, into: &output) }
        if let errors, !errorsEOF {
            _ = fcntl(errors.read, F_SETFL, O_NONBLOCK)
            drain(errors.read, into: &errorOutput)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        var result = Output(
            status: code, output: output.bytes, timedOut: killedAt != nil,
            truncated: output.dropped || output.storage.count > outputLimit)
        result.errorOutput = errorOutput.bytes
        return result
    }

    /// The last `limit` bytes written.
    struct Ring {
        let limit: Int
        var storage: [UInt8] = []
        var dropped = false

        init(limit: Int) { self.limit = max(0, limit) }

        mutating func append(_ chunk: ArraySlice<UInt8>) {
            storage.append(contentsOf: chunk)
            if storage.count > limit * 2 {
                storage.removeFirst(storage.count - limit)
                dropped = true
            }
        }

        var bytes: [UInt8] {
            if storage.count > limit { return Array(storage.suffix(limit)) }
            return storage
        }
    }

    /// The first executable of `names` on PATH.
    public static func which(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") {
                let candidate = "\(dir)/\(name)"
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        return nil
    }
}

/// glibc's pipe2(2), which Swift's Glibc module does not expose (it needs _GNU_SOURCE).
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
