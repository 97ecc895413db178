import Foundation

/// A small JSON Schema validator for the keywords `etc/zerverless/status.schema.json` uses
/// (type, required, properties, additionalProperties: false, enum, items, pattern,
/// minimum, format: date-time): the tests check real status files against the schema.
public enum JSONSchema {
    /// Every violation, as "path: problem"; empty when valid.
    public static func validate(_ value: Any, against schema: [String: Any], path: String = "$") -> [String] {
        var problems: [String] = []
        if let type = schema["type"] as? String, !matches(value, type) {
            return ["\(path): expected \(type), found \(describe(value))"]
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { equal($0, value) }) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        if let pattern = schema["pattern"] as? String, let s = value as? String,
            s.range(of: pattern, options: .regularExpression) == nil
        {
            problems.append("\(path): \"\(s)\" does not match \(pattern)")
        }
        if schema["format"] as? String == "date-time", let s = value as? String,
            s.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#, options: .regularExpression)
                == nil
        {
            problems.append("\(path): \"\(s)\" is not a date-time")
        }
        if let minimum = schema["minimum"] as? Double, let n = value as? NSNumber, n.doubleValue < minimum {
            problems.append("\(path): \(n) is below \(minimum)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): \"\(key)\" is required")
            }
            for (key, child) in object {
                if let sub = properties[key] as? [String: Any] {
                    problems += validate(child, against: sub, path: path + "." + key)
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): \"\(key)\" is not allowed")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, item) in array.enumerated() { problems += validate(item, against: items, path: "\(path)[\(i)]") }
        }
        return problems
    }

    /// The schema of the status document, from `etc/`.
    public static func statusSchema() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Build.packageRoot + "/etc/zerverless/status.schema.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Problems of a status file against the schema.
    public static func checkStatusFile(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return validate(try JSONSerialization.jsonObject(with: data), against: try statusSchema())
    }

    static func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "integer":
            return (value as? NSNumber).map { !isBool($0) && !["d", "f"].contains(String(cString: $0.objCType)) }
                ?? false
        case "number": return (value as? NSNumber).map { !isBool($0) } ?? false
        case "boolean": return (value as? NSNumber).map(isBool) ?? false
        case "null": return value is NSNull
        default: return false
        }
    }

    static func isBool(_ n: NSNumber) -> Bool { ["c", "B"].contains(String(cString: n.objCType)) }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = a as? NSNumber, let b = b as? NSNumber { return a == b }
        return false
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(value)"
        }
    }
}
