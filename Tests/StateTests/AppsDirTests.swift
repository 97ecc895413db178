import Foundation
import State
import TestSupport
import Testing
import Toolkit

@Suite struct AppsDirTests {
    func file(_ path: String, _ text: String) -> RegistrationFile {
        AppsDir.read(Array(text.utf8), path: path)
    }

    let good = "name: app-a\nnamespace: ns\nsource: {repoURL: https://example.com/a.git}\n"

    @Test func duplicatesAreReportedWithEveryFile() {
        let (entries, unnamed) = AppsDir.resolve([file("/d/a.yaml", good), file("/d/b.yml", good)])
        #expect(unnamed.isEmpty)
        guard case .duplicate(let files)? = entries["app-a"] else {
            Issue.record("not a duplicate")
            return
        }
        #expect(files == ["/d/a.yaml", "/d/b.yml"])
    }

    @Test func anInvalidFileIsNamedByItsDeclaredNameOrItsFileName() {
        let declared = file(
            "/d/x.yaml", "name: app-b\nnamespace: ns\npollInterval: soon\nsource: {repoURL: https://e.com/r}\n")
        #expect(declared.name == "app-b")
        let unparseable = file("/d/app-c.yaml", "name: [unclosed\n")
        #expect(unparseable.name == "app-c")
        let hopeless = file("/d/Not_A_Label.yaml", "{{{")
        #expect(hopeless.name == nil)
        let (entries, unnamed) = AppsDir.resolve([declared, unparseable, hopeless])
        #expect(unnamed.map(\.path) == ["/d/Not_A_Label.yaml"])
        guard case .invalid(let path, let diagnostics, _, let namespace)? = entries["app-b"] else {
            Issue.record("not invalid")
            return
        }
        #expect(path == "/d/x.yaml")
        #expect(diagnostics.first?.line == 3)
        #expect(namespace == "ns")
    }

    @Test func scannerReadsOnlyRegistrationNamesAndRereadsOnlyChangedFiles() throws {
        let dir = try TempDir("zg-scan")
        _ = try dir.write("a.yaml", good)
        _ = try dir.write(".hidden.yaml", good)
        _ = try dir.write("a.yaml.swp", good)
        _ = try dir.write("notes.txt", good)
        try FileManager.default.createDirectory(atPath: dir.file("..data"), withIntermediateDirectories: true)
        let scanner = AppsDir(directory: dir.path)
        let first = scanner.scan()
        #expect(first.readable)
        #expect(first.files.map(\.path) == [dir.file("a.yaml")])
        let digest = first.files[0].digest
        // Same size, new content, written in place: read again (mtime/ctime changed).
        let fd = open(dir.file("a.yaml"), O_WRONLY | O_TRUNC)
        let changed = Array(good.replacingOccurrences(of: "app-a", with: "app-z").utf8)
        _ = write(fd, changed, changed.count)
        close(fd)
        let second = scanner.scan()
        #expect(second.files[0].digest != digest)
        #expect(second.files[0].name == "app-z")

        let missing = AppsDir(directory: dir.file("nope")).scan()
        #expect(!missing.readable)
        #expect(missing.problem?.contains("No such file") == true)
    }

    /// The daemon's loop and the REST facade read the same folder: each file is parsed
    /// and kept once (at 100,000 applications a second table cost ~100 MB).
    @Test func readersOfOneFolderShareTheirReads() throws {
        let dir = try TempDir("zg-scan-shared")
        let other = try TempDir("zg-scan-other")
        _ = try dir.write("a.yaml", good)
        let daemon = AppsDir(directory: dir.path)
        let facade = AppsDir(directory: dir.path, sharing: daemon)
        let elsewhere = AppsDir(directory: other.path, sharing: daemon)
        #expect(facade.sharesReads(with: daemon))
        #expect(!elsewhere.sharesReads(with: daemon))
        #expect(!AppsDir(directory: dir.path).sharesReads(with: daemon))
        #expect(daemon.scan().files.map(\.name) == ["app-a"])
        // Another size: a rewrite in place within one tick of the file clock is seen too.
        _ = try dir.write("a.yaml", good.replacingOccurrences(of: "app-a", with: "app-bb"))
        #expect(facade.scan().files.map(\.name) == ["app-bb"])
        #expect(daemon.scan().files.map(\.name) == ["app-bb"])
        #expect(elsewhere.scan().files.isEmpty)
    }
}
