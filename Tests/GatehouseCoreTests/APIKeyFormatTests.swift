import Testing

@testable import GatehouseCore

struct APIKeyFormatTests {
    @Test func generatedKeysHaveTheDocumentedShape() {
        let key = APIKeyFormat.generate(prefix: "gk")
        #expect(key.hasPrefix("gk_"))
        #expect(key.count == 3 + 32 + 6)
        #expect(APIKeyFormat.validate(key) == .success("gk"))
    }

    @Test func tenantPrefixesAreKept() {
        let key = APIKeyFormat.generate(prefix: "cm")
        #expect(APIKeyFormat.validate(key) == .success("cm"))
        #expect(APIKeyFormat.start(of: key) == "cm_" + key.dropFirst(3).prefix(4))
    }

    @Test func aSingleTypoFailsTheChecksum() {
        let key = APIKeyFormat.generate(prefix: "gk")
        var characters = Array(key)
        characters[10] = characters[10] == "a" ? "b" : "a"
        #expect(APIKeyFormat.validate(String(characters)) == .failure(.checksumMismatch))
    }

    @Test func changingThePrefixFailsTheChecksum() {
        let key = APIKeyFormat.generate(prefix: "gk")
        #expect(APIKeyFormat.validate("cm" + key.dropFirst(2)) == .failure(.checksumMismatch))
    }

    @Test(arguments: ["", "gk_", "gk_short", "nounderscore", "GK_" + String(repeating: "a", count: 38),
                      "gk_" + String(repeating: "a", count: 37) + "!", "x_" + String(repeating: "a", count: 38)])
    func malformedStringsAreRejected(candidate: String) {
        #expect(APIKeyFormat.validate(candidate) == .failure(.malformed))
    }

    @Test func keysAreDistinct() {
        let keys = Set((0..<1000).map { _ in APIKeyFormat.generate(prefix: "gk") })
        #expect(keys.count == 1000)
    }

    @Test func hashIsHexSHA256() {
        #expect(APIKeyFormat.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test(arguments: [("gk", true), ("cm", true), ("gkadmin", true), ("g", false), ("Gk", false), ("1k", false),
                      ("gk_x", false), ("abcdefghijklm", false)])
    func prefixRules(prefix: String, valid: Bool) {
        #expect(APIKeyFormat.isValidPrefix(prefix) == valid)
    }
}

struct SecretDigestTests {
    @Test func hexRoundTripsAndMatchesTheStoredHash() {
        let secret = APIKeyFormat.generate(prefix: "gk")
        let digest = APIKeyFormat.digest(secret)
        #expect(digest.hex == APIKeyFormat.hash(secret))
        #expect(SecretDigest(hex: digest.hex) == digest)
        #expect(SecretDigest(hex: "zz") == nil)
        #expect(SecretDigest(hex: String(repeating: "G", count: 64)) == nil)
        #expect(APIKeyFormat.digest(APIKeyFormat.generate(prefix: "gk")) != digest)
    }
}
