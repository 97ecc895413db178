extension Sequence<UInt8> {
    /// Lowercase hex, two digits a byte: digests, MACs, ids.
    public var hexString: String {
        let bytes = Array(self)
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (i, b) in bytes.enumerated() {
                buffer[2 * i] = digits[Int(b >> 4)]
                buffer[2 * i + 1] = digits[Int(b & 15)]
            }
            return bytes.count * 2
        }
    }
}
