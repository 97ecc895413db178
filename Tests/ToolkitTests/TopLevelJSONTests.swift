import Foundation
import Testing
import Toolkit

/// `TopLevelJSON` answers exactly what `JSONDecoder` would, or nil (the caller then asks
/// `JSONDecoder`): never a different answer.
@Suite struct TopLevelJSONTests {
    struct Wanted: Decodable, Equatable {
        var namespace: String
        var status: String?
        var labels: [String: String]?
    }

    func fast(_ text: String) -> Wanted? {
        guard
            let fields = TopLevelJSON.fields(Array(text.utf8), strings: ["namespace", "status"], objects: ["labels"]),
            let namespace = fields.strings["namespace"]
        else { return nil }
        return Wanted(namespace: namespace, status: fields.strings["status"], labels: fields.objects["labels"])
    }

    func decoded(_ text: String) -> Wanted? { try? JSONDecoder().decode(Wanted.self, from: Data(text.utf8)) }

    @Test func readsWhatTheDecoderReads() {
        let documents = [
            // As the daemon writes them (sorted keys, the encoder's spacing), with nested
            // objects holding the same key names before the top-level ones.
            """
            {
              "functions" : [
                {
                  "namespace" : "other",
                  "path" : "/api",
                  "status" : "failed"
                }
              ],
              "labels" : {
                "team" : "a",
                "tier" : "web"
              },
              "message" : "a \\"quoted\\" word, a back\\\\slash, a tab\\t",
              "name" : "app",
              "namespace" : "ns1",
              "nextSync" : "2026-12-07T06:00:00Z",
              "retries" : 3,
              "ratio" : -1.5e+3,
              "ok" : true,
              "gone" : null,
              "status" : "synced"
            }
            """,
            #"{"namespace":"ns2"}"#,
            #"  {"status":"pending","labels":{},"namespace":"ns3"}  "#,
            #"{"namespace":"ns4","labels":null,"status":null}"#,
            #"{"a":[1,2,[3,{"namespace":"x"}]],"namespace":"ns5","b":{"c":{"d":[]}}}"#,
            #"{"namespace":"n\/s6"}"#,
        ]
        for text in documents {
            let expected = decoded(text)
            #expect(expected != nil, "\(text)")
            #expect(fast(text) == expected, "\(text)")
        }
    }

    @Test func leavesToTheDecoderWhatItDoesNotRead() {
        // A \u escape in a wanted value: nil, and the decoder decodes it.
        let escaped = #"{"namespace":"n\u0073"}"#
        #expect(fast(escaped) == nil)
        #expect(decoded(escaped)?.namespace == "ns")
        let escapedKey = #"{"names\u0070ace":"ns"}"#
        #expect(fast(escapedKey) == nil)
        #expect(decoded(escapedKey)?.namespace == "ns")
        // Malformed or of the wrong shape: nil here, and the decoder refuses them too.
        for text in [
            #"{"namespace":"ns1""#, #"{"namespace":"ns1"} x"#, #"["namespace"]"#,
            #"{"namespace":1}"#, #"{"namespace":"ns1","x":tru}"#, #"{"namespace":"ns1","x":01a}"#,
            #"{"namespace":"ns1","labels":{"a":1}}"#, #"{"namespace":"ns1","x":"a"#, #"{"namespace":"ns1" "x":1}"#,
            #"{"namespace":"ns1","x":[1,2}"#, "{\"namespace\":\"a\nb\"}", "",
        ] {
            #expect(fast(text) == nil, "\(text)")
            #expect(decoded(text) == nil, "\(text)")
        }
        // A wanted key twice (the decoder keeps the first, a null one too), a label key
        // twice, a key past ASCII: left to the decoder.
        for text in [
            #"{"namespace":"a","namespace":"b"}"#, #"{"namespace":null,"namespace":"b"}"#,
            #"{"namespace":"a","labels":{"k":"1","k":"2"}}"#, "{\"namespace\":\"a\",\"n\u{e9}\":1}",
        ] {
            #expect(fast(text) == nil, "\(text)")
        }
        #expect(decoded(#"{"namespace":"a","namespace":"b"}"#)?.namespace == "a")
        // What Foundation's decoder tolerates (a trailing comma) is left to it.
        #expect(fast(#"{"namespace":"ns1",}"#) == nil)
        // Nesting deeper than 64 levels is left to the decoder.
        let deep =
            #"{"namespace":"ns1","x":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
            + "}"
        #expect(fast(deep) == nil)
    }
}
