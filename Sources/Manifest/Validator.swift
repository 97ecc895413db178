import YAML

/// Which of the two file kinds a document is.
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    /// A registration file of `APPS_DIR`.
    case registration
    /// A `zerverless.yaml` application manifest.
    case manifest
    /// An application set of `APPS_DIR` (`kind: ApplicationSet`).
    case applicationSet
}

/// What `validate` found in one file.
public struct ValidationResult: Sendable, Codable {
    public var file: String
    public var kind: DocumentKind
    public var valid: Bool
    public var diagnostics: [Diagnostic]
}

/// Bytes and a file name in; a model or every diagnostic out. No I/O.
public enum Validator {
    public static func validate(
        _ bytes: [UInt8], file: String, as forced: DocumentKind? = nil,
        limits: YAMLLimits = .default
    ) -> ValidationResult {
        let root: Node
        do {
            root = try YAMLParser.parse(bytes, limits: limits)
        } catch {
            let kind = forced ?? guessKind(bytes)
            return ValidationResult(
                file: file, kind: kind, valid: false,
                diagnostics: [Diagnostic(file: file, mark: error.mark, field: nil, message: parseMessage(error, bytes))]
            )
        }
        let kind = forced ?? detectKind(root)
        let r = FieldReader(file: file)
        switch kind {
        case .registration: _ = Registration.decode(root, reader: r)
        case .manifest: _ = AppManifest.decode(root, reader: r)
        case .applicationSet: _ = ApplicationSet.decode(root, reader: r)
        }
        return ValidationResult(
            file: file, kind: kind, valid: !r.diagnostics.contains { $0.severity == .error },
            diagnostics: sorted(r.diagnostics))
    }

    public static func registration(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default) -> Result<
        Registration, Failure
    > {
        decode(bytes, file: file, limits: limits, Registration.decode)
    }

    public static func manifest(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default) -> Result<
        AppManifest, Failure
    > {
        decode(bytes, file: file, limits: limits, AppManifest.decode)
    }

    /// Every diagnostic of a file that did not decode, and the name and namespace it
    /// declares (`metadata.name` or `name`, `metadata.namespace` or `namespace`) when that
    /// much is a DNS label: which application the broken file is about, and whose.
    public struct Failure: Error, Sendable {
        public var diagnostics: [Diagnostic]
        public var declaredName: String?
        public var declaredNamespace: String?

        public init(diagnostics: [Diagnostic], declaredName: String? = nil, declaredNamespace: String? = nil) {
            self.diagnostics = diagnostics
            self.declaredName = declaredName
            self.declaredNamespace = declaredNamespace
        }
    }

    public static func applicationSet(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default) -> Result<
        ApplicationSet, Failure
    > {
        decode(bytes, file: file, limits: limits, ApplicationSet.decode)
    }

    private static func decode<T>(
        _ bytes: [UInt8], file: String, limits: YAMLLimits,
        _ decoder: (Node, FieldReader) -> T?
    ) -> Result<T, Failure> {
        let root: Node
        do {
            root = try YAMLParser.parse(bytes, limits: limits)
        } catch {
            return .failure(
                Failure(diagnostics: [
                    Diagnostic(file: file, mark: error.mark, field: nil, message: parseMessage(error, bytes))
                ]))
        }
        let r = FieldReader(file: file)
        let model = decoder(root, r)
        if let model, !r.diagnostics.contains(where: { $0.severity == .error }) { return .success(model) }
        var diagnostics = sorted(r.diagnostics)
        if diagnostics.isEmpty {
            diagnostics = [Diagnostic(file: file, mark: root.mark, field: nil, message: "file could not be decoded")]
        }
        func declared(_ key: String) -> String? {
            [root["metadata"]?[key]?.scalar, root[key]?.scalar].compactMap { $0 }.first {
                Rules.dnsLabelProblem($0) == nil
            }
        }
        return .failure(
            Failure(diagnostics: diagnostics, declaredName: declared("name"), declaredNamespace: declared("namespace")))
    }

    /// Whether a file is an application set (`kind: ApplicationSet` at its top): a text
    /// search first, so a registration is parsed once.
    public static func isApplicationSet(_ bytes: [UInt8]) -> Bool {
        let needle = Array(ApplicationSet.kind.utf8)
        guard bytes.count >= needle.count,
            (0...(bytes.count - needle.count)).contains(where: { i in
                bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
            })
        else { return false }
        guard let root = try? YAMLParser.parse(bytes, limits: .default) else {
            return guessKind(bytes) == .applicationSet
        }
        return detectKind(root) == .applicationSet
    }

    /// `kind: ApplicationSet` is an application set; a manifest has `spec.functions` or
    /// `spec.static`; anything else is a registration.
    public static func detectKind(_ root: Node) -> DocumentKind {
        if root["kind"]?.scalar == ApplicationSet.kind { return .applicationSet }
        if let spec = root["spec"], spec["functions"] != nil || spec["static"] != nil { return .manifest }
        return .registration
    }

    /// A YAML error on a line holding `{{`: most likely a template parameter left unquoted,
    /// which YAML reads as a mapping in a mapping.
    static func parseMessage(_ error: YAMLError, _ bytes: [UInt8]) -> String {
        guard let line = DiagnosticRenderer.sourceLine(error.mark.line, in: bytes), line.contains("{{") else {
            return error.message
        }
        return error.message
            + "; quote a value that starts with a parameter (\"{{branch}}\"): unquoted, YAML reads a mapping"
    }

    /// For a file that is not even YAML: a best guess from its text.
    static func guessKind(_ bytes: [UInt8]) -> DocumentKind {
        let text = String(decoding: bytes.prefix(1 << 16), as: UTF8.self)
        if text.contains("kind: \(ApplicationSet.kind)") { return .applicationSet }
        return text.contains("functions:") || text.contains("static:") ? .manifest : .registration
    }

    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return
            diagnostics
            .filter { seen.insert($0).inserted }
            .enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
    }
}
