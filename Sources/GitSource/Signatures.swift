import CGit2
import Foundation
import Manifest
import Processes
import Toolkit

/// A signature and the bytes it signs, as git stores them: a commit's `gpgsig` header (both
/// OpenPGP and SSH signatures live there), or the block at the end of an annotated tag.
public struct SignedObject: Sendable {
    public enum Kind: String, Sendable { case ssh, openpgp }
    public var kind: Kind
    public var signature: [UInt8]
    public var payload: [UInt8]
}

/// Who signed, once the signature verified.
public struct Signer: Sendable, Hashable {
    public var signer: String
    public var keyFingerprint: String
}

/// Why a signature did not verify (the status's `error.message`, after the commit).
public struct VerifyProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension SignedObject {
    static let sshBegin = Array("-----BEGIN SSH SIGNATURE-----".utf8)
    static let pgpBegin = Array("-----BEGIN PGP SIGNATURE-----".utf8)

    static func kind(of signature: [UInt8]) -> Kind? {
        if signature.starts(with: sshBegin) { return .ssh }
        if signature.starts(with: pgpBegin) { return .openpgp }
        return nil
    }
}

extension GitSource {
    /// The signature of `commit` in the cache at `path`; nil when it is unsigned.
    public func commitSignature(cache path: String, commit: String) throws(GitError) -> SignedObject? {
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        guard var oid = Git.oid(commit) else {
            throw GitError(.local, call: "git_oid_fromstr", message: "\(commit) is not a commit id")
        }
        var signature = git_buf()
        var signed = git_buf()
        defer {
            git_buf_dispose(&signature)
            git_buf_dispose(&signed)
        }
        let rc = git_commit_extract_signature(&signature, &signed, repo, &oid, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        guard rc == 0 else {
            let last = Git.lastError()
            throw GitError(.local, call: "git_commit_extract_signature", errorClass: last.klass, message: last.message)
        }
        let sig = Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(signature.ptr).assumingMemoryBound(to: UInt8.self), count: signature.size))
        let payload = Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(signed.ptr).assumingMemoryBound(to: UInt8.self), count: signed.size))
        guard let kind = SignedObject.kind(of: sig) else {
            return SignedObject(kind: .openpgp, signature: sig, payload: payload)
        }
        return SignedObject(kind: kind, signature: sig, payload: payload)
    }

    /// The tag object `object` (the id the head lookup advertised for the tag, never what
    /// the cache's ref says) in the cache at `path`: nil when it is not a tag object (a
    /// lightweight tag names the commit directly), else its signature (nil inside when the
    /// annotated tag is unsigned). The tag object must lead to `commit`.
    public func tagSignature(cache path: String, object id: String, commit: String) throws(GitError) -> SignedObject?? {
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        guard var oid = Git.oid(id) else {
            throw GitError(.local, call: "git_oid_fromstr", message: "\(id) is not an object id")
        }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo) == 0, let odb else {
            throw GitError(.local, call: "git_repository_odb", message: Git.lastError().message)
        }
        defer { git_odb_free(odb) }
        var object: OpaquePointer?
        guard git_odb_read(&object, odb, &oid) == 0, let object else {
            throw GitError(
                .refMoved, call: "git_odb_read",
                message: "the tag object \(id.prefix(12)) the lookup advertised is not in the cache",
                hint: "looked at again")
        }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_TAG else { return nil }  // lightweight: no tag object
        guard peeledCommit(repo, id) == commit else {
            throw GitError(
                .refMoved, call: "git_tag_peel",
                message: "the tag object \(id.prefix(12)) does not lead to commit \(commit.prefix(12))",
                hint: "looked at again")
        }
        let bytes = Array(
            UnsafeBufferPointer(
                start: git_odb_object_data(object).assumingMemoryBound(to: UInt8.self),
                count: git_odb_object_size(object)))
        // The signature is the last block of the message; the payload is everything before it.
        for begin in [SignedObject.sshBegin, SignedObject.pgpBegin] {
            if let at = Self.lastRange(of: begin, in: bytes), at == 0 || bytes[at - 1] == 0x0A {
                return .some(
                    SignedObject(
                        kind: SignedObject.kind(of: Array(bytes[at...]))!, signature: Array(bytes[at...]),
                        payload: Array(bytes[..<at])))
            }
        }
        return .some(nil)
    }

    static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.count - needle.count
        while i >= 0 {
            if haystack[i] == needle[0], Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i -= 1
        }
        return nil
    }
}

/// Checks signatures against the keys of a registration's `publicKeysFile`: SSH public keys
/// (one per line, `ssh-ed25519 AAAA... who`) as `git verify-commit` does with
/// `gpg.format ssh` (`ssh-keygen -Y verify`, namespace `git`), and ASCII-armored OpenPGP
/// keys as `gpgv` does. The tools run through the one process runner, in a scratch folder.
public struct SignatureVerifier: Sendable {
    public let sshKeys: [String]
    public let openpgpKeys: String

    /// The keys of a file's text; nil with the reason when it has none.
    public static func parse(_ text: String) -> Result<SignatureVerifier, VerifyProblem> {
        var ssh: [String] = []
        var pgp = ""
        var inBlock = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN PGP PUBLIC KEY BLOCK-----") { inBlock = true }
            if inBlock {
                pgp += line + "\n"
                if line.hasPrefix("-----END PGP PUBLIC KEY BLOCK-----") { inBlock = false }
                continue
            }
            if line.hasPrefix("ssh-") || line.hasPrefix("ecdsa-") || line.hasPrefix("sk-") { ssh.append(line) }
        }
        if ssh.isEmpty && pgp.isEmpty {
            return .failure(
                VerifyProblem("publicKeysFile holds no SSH public key line and no ASCII-armored OpenPGP key"))
        }
        return .success(SignatureVerifier(sshKeys: ssh, openpgpKeys: pgp))
    }

    /// Who signed, or why it does not verify.
    public func verify(_ signed: SignedObject) async -> Result<Signer, VerifyProblem> {
        let dir: String
        do { dir = try ScratchFolder.make("zg-verify") } catch {
            return .failure(VerifyProblem("cannot make a scratch folder: \(error)"))
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        switch signed.kind {
        case .ssh: return await verifySSH(signed, dir)
        case .openpgp: return await verifyOpenPGP(signed, dir)
        }
    }

    private func verifySSH(_ signed: SignedObject, _ dir: String) async -> Result<Signer, VerifyProblem> {
        guard !sshKeys.isEmpty else {
            return .failure(VerifyProblem("signed with an SSH key, and publicKeysFile has no SSH key"))
        }
        guard let keygen = ChildProcess.which(["ssh-keygen"]) else {
            return .failure(VerifyProblem("ssh-keygen is not installed on this host"))
        }
        // allowed_signers: a principal per key (its comment when it is one word), namespace git.
        var lines: [String] = []
        for (i, key) in sshKeys.enumerated() {
            let words = key.split(separator: " ")
            guard words.count >= 2 else { continue }
            let comment = words.count >= 3 ? String(words[2]) : ""
            let principal =
                !comment.isEmpty && comment.allSatisfy({ $0.isLetter || $0.isNumber || "@._-+".contains($0) })
                ? comment : "key-\(i + 1)"
            lines.append("\(principal) namespaces=\"git\" \(words[0]) \(words[1])")
        }
        let allowed = dir + "/allowed_signers"
        let sig = dir + "/signature"
        do {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: allowed))
            try Data(signed.signature).write(to: URL(fileURLWithPath: sig))
        } catch {
            return .failure(VerifyProblem("cannot write to the scratch folder: \(error)"))
        }
        let find = try? await ChildProcess.run(
            keygen, ["-Y", "find-principals", "-f", allowed, "-s", sig], timeout: .seconds(30), outputLimit: 64 << 10,
            separateErrors: true)
        guard let find, find.status == 0, let principal = find.text.split(separator: "\n").first.map(String.init) else {
            return .failure(VerifyProblem("signed by an SSH key that is not in publicKeysFile"))
        }
        let check = try? await ChildProcess.run(
            keygen, ["-Y", "verify", "-f", allowed, "-I", principal, "-n", "git", "-s", sig],
            input: signed.payload, timeout: .seconds(30), outputLimit: 64 << 10, separateErrors: true)
        guard let check, check.status == 0 else {
            return .failure(VerifyProblem("bad SSH signature (the signed content does not match)"))
        }
        // Good "git" signature for P with ED25519 key SHA256:...
        let fingerprint =
            check.text.split(separator: " ").last { $0.hasPrefix("SHA256:") }.map {
                String($0).trimmingCharacters(in: .whitespacesAndNewlines)
            } ?? ""
        return .success(Signer(signer: principal, keyFingerprint: fingerprint))
    }

    private func verifyOpenPGP(_ signed: SignedObject, _ dir: String) async -> Result<Signer, VerifyProblem> {
        guard !openpgpKeys.isEmpty else {
            return .failure(VerifyProblem("signed with an OpenPGP key, and publicKeysFile has no OpenPGP key"))
        }
        guard let gpg = ChildProcess.which(["gpg"]), let gpgv = ChildProcess.which(["gpgv"]) else {
            return .failure(VerifyProblem("gpg and gpgv are not installed on this host (Debian: gnupg, gpgv)"))
        }
        let home = dir + "/gnupg"
        let keyring = dir + "/keyring.gpg"
        let sig = dir + "/signature.asc"
        let payload = dir + "/payload"
        do {
            try FileManager.default.createDirectory(
                atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Data(signed.signature).write(to: URL(fileURLWithPath: sig))
            try Data(signed.payload).write(to: URL(fileURLWithPath: payload))
        } catch {
            return .failure(VerifyProblem("cannot write to the scratch folder: \(error)"))
        }
        // The armored keys as a binary keyring, which is what gpgv reads.
        let dearmor = try? await ChildProcess.run(
            gpg, ["--homedir", home, "--batch", "--yes", "--output", keyring, "--dearmor"],
            input: Array(openpgpKeys.utf8), timeout: .seconds(30), outputLimit: 64 << 10, separateErrors: true)
        guard dearmor?.status == 0 else {
            return .failure(VerifyProblem("publicKeysFile's OpenPGP keys cannot be read"))
        }
        let out = try? await ChildProcess.run(
            gpgv, ["--homedir", home, "--status-fd", "1", "--keyring", keyring, sig, payload],
            timeout: .seconds(30), outputLimit: 64 << 10, separateErrors: true)
        guard let out else { return .failure(VerifyProblem("gpgv could not be started")) }
        let status = out.text.split(separator: "\n").map { $0.split(separator: " ").dropFirst().map(String.init) }
        func line(_ tag: String) -> [String]? { status.first { $0.first == tag } }
        if line("NO_PUBKEY") != nil {
            return .failure(VerifyProblem("signed by an OpenPGP key that is not in publicKeysFile"))
        }
        if line("EXPKEYSIG") != nil { return .failure(VerifyProblem("signed by an expired OpenPGP key")) }
        if line("REVKEYSIG") != nil { return .failure(VerifyProblem("signed by a revoked OpenPGP key")) }
        if line("EXPSIG") != nil { return .failure(VerifyProblem("the OpenPGP signature has expired")) }
        if line("BADSIG") != nil {
            return .failure(VerifyProblem("bad OpenPGP signature (the signed content does not match)"))
        }
        guard out.status == 0, let good = line("GOODSIG"), let valid = line("VALIDSIG"), valid.count >= 2 else {
            return .failure(VerifyProblem("the OpenPGP signature does not verify"))
        }
        return .success(Signer(signer: good.dropFirst(2).joined(separator: " "), keyFingerprint: valid[1]))
    }
}

extension GitSource {
    /// What `verify.mode` checks in the cache: the commit's signature, or the tag's (which
    /// must be annotated); the reason when there is none.
    public func signed(
        _ mode: Registration.Verify.Mode, cache: String, commit: String, tag: String?,
        tagObject: String?
    ) throws(GitError) -> Result<SignedObject, VerifyProblem> {
        switch mode {
        case .commit:
            guard let signed = try commitSignature(cache: cache, commit: commit) else {
                return .failure(VerifyProblem("it is not signed"))
            }
            return .success(signed)
        case .tag:
            guard tag != nil, let tagObject else {
                return .failure(VerifyProblem("verify.mode tag needs a tag or semver ref"))
            }
            guard let annotated = try tagSignature(cache: cache, object: tagObject, commit: commit) else {
                return .failure(VerifyProblem("it is a lightweight tag (not annotated, so not signed)"))
            }
            guard let signed = annotated else { return .failure(VerifyProblem("the annotated tag is not signed")) }
            return .success(signed)
        }
    }
}

extension Registration.Verify.Mode {
    /// `commit 4f1c2a9e0b7d` or `tag v1.4.0 (commit 4f1c2a9e0b7d)`: what was checked.
    public func subject(commit: String, tag: String?) -> String {
        self == .tag ? "tag \(tag ?? "?") (commit \(commit.prefix(12)))" : "commit \(commit.prefix(12))"
    }
}
