import Foundation

/// A bare repository with a work tree to commit from.
public final class GitRepo: Sendable {
    public let bare: String
    public let work: String
    public let branch: String

    /// `ROOT/NAME.git` (bare) with a first commit of `files` on `branch`.
    public init(
        root: String, name: String = "repo", branch: String = "main", files: [String: String] = ["README.md": "hello\n"]
    ) throws {
        bare = (root as NSString).appendingPathComponent("\(name).git")
        work = (root as NSString).appendingPathComponent(".work-\(name)")
        self.branch = branch
        try git(["init", "-q", "--bare", "-b", branch, bare])
        try git(["init", "-q", "-b", branch, work])
        try commit(files, message: "first commit")
    }

    /// Writes files (nil content deletes), commits and pushes; returns the commit id.
    @discardableResult
    public func commit(
        _ files: [String: String?], message: String, branch: String? = nil, signWith options: [String]? = nil
    ) throws -> String {
        let branch = branch ?? self.branch
        if (try? git(["rev-parse", "--abbrev-ref", "HEAD"], cwd: work)) != branch {
            if (try? git(["rev-parse", "--verify", "-q", branch], cwd: work)) != nil {
                try git(["checkout", "-q", branch], cwd: work)
            } else {
                try git(["checkout", "-q", "-b", branch], cwd: work)
            }
        }
        for (path, content) in files {
            let full = (work as NSString).appendingPathComponent(path)
            if let content {
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            } else {
                try? FileManager.default.removeItem(atPath: full)
            }
        }
        try git(["add", "-A"], cwd: work)
        // signWith: `-c` settings for `git commit -S` (gpg.format, user.signingkey, gpg.program).
        try git(
            (options ?? []) + ["commit", "-q", "--allow-empty"] + (options == nil ? [] : ["-S"]) + ["-m", message],
            cwd: work)
        try git(["push", "-q", "-f", bare, "\(branch):\(branch)"], cwd: work)
        return try git(["rev-parse", "HEAD"], cwd: work)
    }

    /// Tags `commit` (default: the work tree's HEAD), annotated when `message` is given,
    /// and pushes the tag; returns the commit.
    @discardableResult
    public func tag(_ name: String, commit: String? = nil, message: String? = nil, signWith options: [String]? = nil)
        throws -> String
    {
        let target = try commit ?? git(["rev-parse", "HEAD"], cwd: work)
        let kind: [String] = options != nil ? ["-s", "-m", message ?? name] : (message.map { ["-a", "-m", $0] } ?? [])
        try git((options ?? []) + ["tag"] + kind + [name, target], cwd: work)
        try git(["push", "-q", bare, "refs/tags/\(name):refs/tags/\(name)"], cwd: work)
        return target
    }

    /// Rewrites history: a new root commit force-pushed over the branch.
    @discardableResult
    public func forcePushNewHistory(_ files: [String: String], message: String) throws -> String {
        try git(["checkout", "-q", "--orphan", "rewrite-\(UUID().uuidString.prefix(6))"], cwd: work)
        try git(["rm", "-rq", "--cached", "."], cwd: work)
        for (path, content) in files {
            let full = (work as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            try git(["add", path], cwd: work)
        }
        try git(["commit", "-q", "-m", message], cwd: work)
        try git(["push", "-q", "-f", bare, "HEAD:\(branch)"], cwd: work)
        return try git(["rev-parse", "HEAD"], cwd: work)
    }

    /// A tree as git objects can hold it, names as raw bytes (`..`, `.git`, NFD...): what
    /// a hostile repository pushes, which `git add` would never make.
    public indirect enum Tree {
        case blob(String)
        case executable(String)
        case symlink(String)
        case tree([(name: [UInt8], tree: Tree)])
        /// A tree already in the repository, by id (trees shared by id: a "tree bomb").
        case treeID(String)

        public static func dir(_ entries: [(String, Tree)]) -> Tree { .tree(entries.map { (Array($0.0.utf8), $0.1) }) }
    }

    /// Writes `tree` with `git mktree` (which takes any name), commits it on top of the
    /// branch and pushes; returns the commit id.
    @discardableResult
    public func commitTree(_ tree: Tree, message: String) throws -> String {
        let id = try write(tree)
        let parent = try git(["rev-parse", "HEAD"], cwd: work)
        let commit = try git(["commit-tree", id, "-p", parent, "-m", message], cwd: work)
        try git(["update-ref", "refs/heads/\(branch)", commit], cwd: work)
        try git(["push", "-q", "-f", bare, "\(commit):refs/heads/\(branch)"], cwd: work)
        return commit
    }

    /// Writes a tree (and what it holds) into the work repository's objects; its id.
    public func writeTree(_ tree: Tree) throws -> String { try write(tree) }

    private func write(_ tree: Tree) throws -> String {
        func object(_ content: String) throws -> String {
            let out = try run(
                "/usr/bin/git", ["hash-object", "-w", "--stdin"], input: Data(content.utf8),
                environment: gitEnvironment, cwd: work)
            guard out.status == 0 else { throw CommandFailed(description: "git hash-object: \(out.stderr)") }
            return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard case .tree(let entries) = tree else {
            throw CommandFailed(description: "the top of a tree must be a tree")
        }
        var listing: [UInt8] = []
        for (name, entry) in entries {
            let line: String
            switch entry {
            case .blob(let text): line = "100644 blob \(try object(text))\t"
            case .executable(let text): line = "100755 blob \(try object(text))\t"
            case .symlink(let target): line = "120000 blob \(try object(target))\t"
            case .tree: line = "040000 tree \(try write(entry))\t"
            case .treeID(let id): line = "040000 tree \(id)\t"
            }
            listing += Array(line.utf8) + name + [10]
        }
        let out = try run("/usr/bin/git", ["mktree"], input: Data(listing), environment: gitEnvironment, cwd: work)
        guard out.status == 0 else { throw CommandFailed(description: "git mktree: \(out.stderr)") }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func deleteBranch(_ name: String) throws {
        try git(["--git-dir", bare, "branch", "-D", name])
    }

    public func head(_ branch: String? = nil) throws -> String {
        try git(["--git-dir", bare, "rev-parse", "refs/heads/\(branch ?? self.branch)"])
    }
}
