import Glibc
import Processes
import Testing

/// The one way the agent runs another program: output captured, a clear error for a
/// program that cannot start, the deadline enforced on the process group, the output
/// bounded. Real programs (coreutils, dash); every wait is the child's own, with a deadline.
@Suite(.timeLimit(.minutes(1))) struct ChildProcessTests {
    @Test func aProgramRunsAndItsOutputIsCaptured() async throws {
        let out = try await ChildProcess.run("/bin/echo", ["hello", "world"])
        #expect(out.status == 0)
        #expect(out.text == "hello world\n")
        #expect(!out.timedOut)
        #expect(!out.truncated)
        #expect(out.errorOutput.isEmpty)
    }

    @Test func inputIsGivenAndTheExitStatusAndErrorsAreReported() async throws {
        let script = "cat; echo oops >&2; exit 3"
        let apart = try await ChildProcess.run(
            "/bin/sh", ["-c", script], input: Array("abc\n".utf8), separateErrors: true)
        #expect(apart.status == 3)
        #expect(apart.text == "abc\n")
        #expect(String(decoding: apart.errorOutput, as: UTF8.self) == "oops\n")
        // Without separateErrors, stderr is merged into the output as written.
        let merged = try ChildProcess.runBlocking("/bin/sh", ["-c", script], input: Array("abc\n".utf8))
        #expect(merged.status == 3)
        #expect(merged.text == "abc\noops\n")
        #expect(merged.errorOutput.isEmpty)
    }

    @Test func aProgramThatDoesNotExistFailsWithAClearError() async throws {
        let missing = "/nonexistent/zg-no-such-program"
        let error = try await #require(throws: ChildProcess.SpawnError.self) {
            try await ChildProcess.run(missing, ["--version"])
        }
        #expect(error.description == "\(missing) could not be started: No such file or directory")
    }

    @Test func aProgramThatOutlivesItsDeadlineIsKilledAndReportedAsTimedOut() async throws {
        let out = try await ChildProcess.run("/bin/sleep", ["30"], timeout: .seconds(1))
        #expect(out.timedOut)
        #expect(out.status == 128 + SIGTERM, "ended by the SIGTERM sent at the deadline")
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilled() async throws {
        // The ignored SIGTERM is inherited by sleep: only the SIGKILL that follows ends it.
        let out = try await ChildProcess.run("/bin/sh", ["-c", "trap '' TERM; /bin/sleep 30"], timeout: .seconds(1))
        #expect(out.timedOut)
        #expect(out.status == 128 + SIGKILL)
    }

    @Test func outputBeyondTheBoundIsCutFromTheStart() async throws {
        // 588,895 bytes of "1\n2\n...100000\n", of which the last 1000 are kept.
        let out = try await ChildProcess.run("/usr/bin/seq", ["1", "100000"], outputLimit: 1000)
        #expect(out.status == 0)
        #expect(!out.timedOut)
        #expect(out.truncated)
        #expect(out.output.count == 1000)
        #expect(out.text.hasSuffix("\n99999\n100000\n"))
        let exact = try await ChildProcess.run("/usr/bin/seq", ["1", "3"], outputLimit: 6)
        #expect(exact.text == "1\n2\n3\n")
        #expect(!exact.truncated, "exactly the bound is not cut")
    }

    @Test func aPreparedProcessWaitsForItsInput() throws {
        let cat = try PreparedProcess("/bin/cat", [])
        let out = cat.finish(input: Array("given later\n".utf8), timeout: .seconds(30), outputLimit: 1 << 20)
        #expect(out.status == 0)
        #expect(out.text == "given later\n")
        #expect(!out.timedOut)
    }
}
