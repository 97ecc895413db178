import Foundation
import Processes
import Toolkit

/// A server certificate checked against one registration's CA (`auth.caFile`), by
/// OpenSSL's `verify` (Debian's `openssl`): signed by that CA, valid now, for server use,
/// for the host that was asked. libgit2 hands over the leaf certificate only, so the CA
/// file must hold the CA that signed it (and any intermediate).
enum CertificateCheck {
    /// nil when the certificate verifies; else why not.
    static func verify(leafDER: [UInt8], caPEM: String, host: String) -> String? {
        guard let openssl = ChildProcess.which(["openssl"]) else { return "openssl is not installed on this host" }
        guard let dir = try? ScratchFolder.make("zg-cert") else { return "cannot make a scratch folder" }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = Data(leafDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let leaf = "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
        guard FileManager.default.createFile(atPath: dir + "/ca.pem", contents: Data(caPEM.utf8)),
            FileManager.default.createFile(atPath: dir + "/leaf.pem", contents: Data(leaf.utf8))
        else { return "cannot write the certificates" }
        var args = ["verify", "-CAfile", dir + "/ca.pem", "-purpose", "sslserver"]
        args +=
            host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." })
            ? ["-verify_ip", host] : ["-verify_hostname", host]
        guard
            let out = try? ChildProcess.runBlocking(
                openssl, args + [dir + "/leaf.pem"], timeout: .seconds(20), outputLimit: 8192)
        else {
            return "openssl could not be run"
        }
        if out.status == 0 { return nil }
        let line = out.text.split(separator: "\n").first { $0.contains("error") }.map(String.init) ?? out.text
        return line.replacingOccurrences(of: dir + "/leaf.pem: ", with: "").trimmingCharacters(in: .whitespaces)
    }
}
