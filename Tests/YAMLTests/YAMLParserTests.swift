import Testing

@testable import YAML

@Test func marksAreOneBasedAndCountCharacters() throws {
    let root = try YAMLParser.parse("a: 1\nbé: [x, \"y\"]\n")
    let pairs = try #require(root.pairs)
    #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
    #expect(pairs[0].value.mark == Mark(line: 1, column: 4))
    #expect(pairs[1].value.mark == Mark(line: 2, column: 5))
    let items = try #require(pairs[1].value.items)
    #expect(items[1].mark == Mark(line: 2, column: 9))
}

@Test func scalarsKeepTextAndStyle() throws {
    let root = try YAMLParser.parse(
        """
        a: true
        b: "true"
        c: 'x'
        d: 080
        e: |
          line
        f: >
          folded
        g: !!str 5m
        h:
        """)
    #expect(root["a"]?.style == .plain)
    #expect(root["a"]?.scalar == "true")
    #expect(root["b"]?.style == .doubleQuoted)
    #expect(root["c"]?.style == .singleQuoted)
    #expect(root["d"]?.scalar == "080")
    #expect(root["e"]?.style == .literal)
    #expect(root["e"]?.scalar == "line\n")
    #expect(root["f"]?.style == .folded)
    #expect(root["g"]?.tag == "tag:yaml.org,2002:str")
    #expect(root["h"]?.isNull == true)
    #expect(root["a"]?.isNull == false)
}

@Test func aliasesResolveToCopiesWithTheAliasMark() throws {
    let root = try YAMLParser.parse("a: &x {k: v}\nb: *x\n")
    #expect(root["b"]?["k"]?.scalar == "v")
    #expect(root["b"]?.mark == Mark(line: 2, column: 4))
}

@Test func aliasBombIsRefused() throws {
    // The "billion laughs": each level doubles nine times.
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for i in 1...9 {
        text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n"
    }
    let clock = ContinuousClock()
    let start = clock.now
    #expect(throws: YAMLError.self) { try YAMLParser.parse(text) }
    do {
        _ = try YAMLParser.parse(text)
    } catch {
        #expect(error.message == "document expands to more than 100000 nodes (aliases included); is it an alias bomb?")
        #expect(error.mark.line == 6)
    }
    #expect(clock.now - start < .seconds(1))
}

@Test func deepNestingIsAnErrorNotACrash() {
    let text = String(repeating: "[", count: 200_000)
    do {
        _ = try YAMLParser.parse(text)
        Issue.record("expected an error")
    } catch {
        #expect(error == YAMLError("nesting is deeper than 64 levels", at: Mark(line: 1, column: 65)))
    }
}

@Test func deepBlockNestingIsBoundedToo() {
    var text = ""
    for depth in 0..<100 { text += String(repeating: " ", count: depth) + "k:\n" }
    #expect(throws: YAMLError("nesting is deeper than 64 levels", at: Mark(line: 65, column: 65))) {
        try YAMLParser.parse(text)
    }
}

@Test func oversizedFileIsRefusedBeforeParsing() {
    let text = "a: \"" + String(repeating: "x", count: 1 << 20) + "\"\n"
    #expect(throws: YAMLError("file is 1048582 bytes, over the limit of 1048576 bytes (1024 KiB)", at: .start)) {
        try YAMLParser.parse(text)
    }
}

@Test func limitsAreConfigurable() {
    let limits = YAMLLimits(maxBytes: 10, maxDepth: 2, maxNodes: 5)
    #expect(throws: YAMLError.self) { try YAMLParser.parse("a: [1, 2, 3, 4, 5]", limits: limits) }
    #expect(throws: YAMLError("nesting is deeper than 2 levels", at: Mark(line: 1, column: 3))) {
        try YAMLParser.parse("[[[1]]]", limits: YAMLLimits(maxDepth: 2))
    }
}

@Test func utf8Checks() {
    #expect(YAMLParser.firstInvalidUTF8(Array("héllo ✓ 𝄞".utf8)) == nil)
    #expect(YAMLParser.firstInvalidUTF8([0x61, 0xC0, 0x80]) == 1)  // overlong
    #expect(YAMLParser.firstInvalidUTF8([0xED, 0xA0, 0x80]) == 0)  // surrogate
    #expect(YAMLParser.firstInvalidUTF8([0x61, 0xE2, 0x82]) == 1)  // truncated
    #expect(YAMLParser.firstInvalidUTF8([0xF5, 0x80, 0x80, 0x80]) == 0)  // above U+10FFFF
}

@Test func controlCharactersGetAMark() {
    do {
        _ = try YAMLParser.parse("a: b\nc: \u{0}d\n")
        Issue.record("expected an error")
    } catch {
        #expect(error.mark == Mark(line: 2, column: 4))
        #expect(error.message.hasPrefix("YAML syntax: control characters are not allowed"))
    }
}
