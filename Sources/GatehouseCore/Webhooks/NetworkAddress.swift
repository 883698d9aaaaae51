/// Classifies IP addresses for the webhook target check: private, loopback, link-local
/// and other special-use ranges are refused unless the deployment allows them.
public enum NetworkAddress {
    public enum Class: Equatable, Sendable {
        case publicAddress
        case loopback
        /// RFC 1918, unique-local IPv6, CGNAT, unspecified, multicast, reserved.
        case privateAddress
        /// 169.254/16 (cloud metadata lives here) and fe80::/10.
        case linkLocal
    }

    /// `nil` when `text` is not an IPv4 or IPv6 literal.
    public static func classify(_ text: String) -> Class? {
        if let v4 = ipv4(text) { return classify(v4: v4) }
        if let v6 = ipv6(text) {
            if v6.allSatisfy({ $0 == 0 }) { return .privateAddress }  // ::
            if v6[0..<15].allSatisfy({ $0 == 0 }), v6[15] == 1 { return .loopback }  // ::1
            if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF {  // ::ffff:a.b.c.d
                return classify(v4: Array(v6[12..<16]))
            }
            if v6[0..<12].allSatisfy({ $0 == 0 }) { return classify(v4: Array(v6[12..<16])) }  // ::a.b.c.d
            if v6[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {  // NAT64 64:ff9b::/96
                return classify(v4: Array(v6[12..<16]))
            }
            if v6[0] == 0x20, v6[1] == 0x02 { return classify(v4: Array(v6[2..<6])) }  // 6to4 2002::/16
            if v6[0] == 0xFE, v6[1] & 0xC0 == 0xC0 { return .privateAddress }  // site-local fec0::/10
            if v6[0] & 0xFE == 0xFC { return .privateAddress }
            if v6[0] == 0xFE, v6[1] & 0xC0 == 0x80 { return .linkLocal }
            if v6[0] == 0xFF { return .privateAddress }
            return .publicAddress
        }
        return nil
    }

    static func classify(v4 b: [UInt8]) -> Class {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (169, 254): return .linkLocal
        case (10, _), (0, _), (172, 16...31), (192, 168), (100, 64...127), (198, 18...19): return .privateAddress
        case (224...255, _): return .privateAddress
        case (192, 0) where b[2] == 0 || b[2] == 2: return .privateAddress
        default: return .publicAddress
        }
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// The 16 bytes of an IPv6 literal.
    public static func ipv6Bytes(_ text: String) -> [UInt8]? { ipv6(text) }

    static func ipv6(_ raw: String) -> [UInt8]? {
        var text = raw
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        guard text.contains(":") else { return nil }
        // An embedded IPv4 tail (`::ffff:10.0.0.1`) becomes its two hex groups.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(String(text[text.index(after: lastColon)...])) else { return nil }
            text = String(text[...lastColon])
                + String(UInt16(v4[0]) << 8 | UInt16(v4[1]), radix: 16) + ":" + String(UInt16(v4[2]) << 8 | UInt16(v4[3]), radix: 16)
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let wanted = 8
        var all = head
        if halves.count == 2 {
            guard head.count + rest.count < wanted else { return nil }
            all += Array(repeating: 0, count: wanted - head.count - rest.count) + rest
        }
        guard all.count == wanted else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
