import Foundation
import TestSupport
import Testing

/// The schema's validator rejects what it should (so that the end-to-end checks of real
/// status files against it can fail).
@Test func theStatusSchemaRejectsWrongDocuments() throws {
    let schema = try JSONSchema.statusSchema()
    let good: [String: Any] = [
        "name": "a", "namespace": "n", "status": "synced", "functions": [Any](),
        "source": [
            "repoURL": "https://h/o/r", "branch": "main", "path": ".", "commit": String(repeating: "a", count: 40),
        ],
        "lastSync": "2024-01-15T10:30:00Z",
    ]
    #expect(JSONSchema.validate(good, against: schema) == [])
    var bad = good
    bad["status"] = "fine"
    bad["extra"] = 1
    bad["lastSync"] = "yesterday"
    bad["functions"] = [["path": "x", "runtime": "lua", "url": "/n/x", "state": "deployed"]]
    bad.removeValue(forKey: "namespace")
    let problems = JSONSchema.validate(bad, against: schema)
    #expect(problems.contains { $0.contains("$.status") })
    #expect(problems.contains { $0.contains("\"extra\" is not allowed") })
    #expect(problems.contains { $0.contains("$.lastSync") })
    #expect(problems.contains { $0.contains("$.functions[0].path") })
    #expect(problems.contains { $0.contains("\"namespace\" is required") })
}
