import Crypto
import Foundation
import Testing

@testable import GatehouseCore

@Suite struct VaultEnvelopeTests {
    static let dek = SymmetricKey(data: Array(0..<32) as [UInt8])
    static let binding = VaultEnvelope.associatedData(
        tenantID: "ten_01jdq3v6m8x4k2c9r7t5w0y1zb", credentialID: "cred_01jdq3v6m8x4k2c9r7t5w0y1zc",
        authType: "basic_auth", dekVersion: 2)
    static let plaintext = Data(#"{"password":"kat-secret","username":"u"}"#.utf8)
    /// Produced by Python `cryptography` (HKDF-SHA256 then AESGCM) with salt 0xA5×32 and
    /// nonce 100…111; the generator is in scripts/interop.py's vault check.
    static let pythonVector =
        "AaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlZGVmZ2hpamtsbW5vJF5oLpeGblC+qR+NcFAdLpgFeELukSK7D8wQhdkKIbLzJHb89LeBgbzPrpLhSBZB3TbXFCAe2J0="

    @Test func opensAVectorFromAnIndependentImplementation() throws {
        let sealed = try #require(Data(base64Encoded: Self.pythonVector))
        #expect(try VaultEnvelope.open(sealed, dek: Self.dek, associatedData: Self.binding) == Self.plaintext)
    }

    @Test func sealsTheSameBytesAsTheIndependentImplementation() throws {
        let sealed = try VaultEnvelope.seal(
            Self.plaintext, dek: Self.dek, associatedData: Self.binding, salt: Data(repeating: 0xA5, count: 32),
            nonce: Data(100..<112))
        #expect(sealed.base64EncodedString() == Self.pythonVector)
    }

    @Test func everyBindingFieldMatters() throws {
        let sealed = try VaultEnvelope.seal(Self.plaintext, dek: Self.dek, associatedData: Self.binding)
        let others = [
            VaultEnvelope.associatedData(tenantID: "ten_other", credentialID: "cred_01jdq3v6m8x4k2c9r7t5w0y1zc", authType: "basic_auth", dekVersion: 2),
            VaultEnvelope.associatedData(tenantID: "ten_01jdq3v6m8x4k2c9r7t5w0y1zb", credentialID: "cred_other", authType: "basic_auth", dekVersion: 2),
            VaultEnvelope.associatedData(tenantID: "ten_01jdq3v6m8x4k2c9r7t5w0y1zb", credentialID: "cred_01jdq3v6m8x4k2c9r7t5w0y1zc", authType: "jwt", dekVersion: 2),
            VaultEnvelope.associatedData(tenantID: "ten_01jdq3v6m8x4k2c9r7t5w0y1zb", credentialID: "cred_01jdq3v6m8x4k2c9r7t5w0y1zc", authType: "basic_auth", dekVersion: 3),
        ]
        for other in others {
            #expect(throws: VaultEnvelope.Failure.doesNotOpen) { try VaultEnvelope.open(sealed, dek: Self.dek, associatedData: other) }
        }
        #expect(throws: VaultEnvelope.Failure.doesNotOpen) {
            try VaultEnvelope.open(sealed, dek: SymmetricKey(size: .bits256), associatedData: Self.binding)
        }
    }

    @Test func tamperingAndTruncationAreRefused() throws {
        var sealed = try VaultEnvelope.seal(Self.plaintext, dek: Self.dek, associatedData: Self.binding)
        sealed[sealed.count - 20] ^= 1
        #expect(throws: VaultEnvelope.Failure.doesNotOpen) { try VaultEnvelope.open(sealed, dek: Self.dek, associatedData: Self.binding) }
        #expect(throws: VaultEnvelope.Failure.malformed) {
            try VaultEnvelope.open(sealed.prefix(40), dek: Self.dek, associatedData: Self.binding)
        }
        var wrongFormat = sealed
        wrongFormat[0] = 2
        #expect(throws: VaultEnvelope.Failure.malformed) { try VaultEnvelope.open(wrongFormat, dek: Self.dek, associatedData: Self.binding) }
    }

    @Test func eachSealUsesAFreshSaltAndNonce() throws {
        let first = try VaultEnvelope.seal(Self.plaintext, dek: Self.dek, associatedData: Self.binding)
        let second = try VaultEnvelope.seal(Self.plaintext, dek: Self.dek, associatedData: Self.binding)
        #expect(first.prefix(45) != second.prefix(45))
    }

    @Test func wrappedDataKeysAreBoundToTenantAndVersion() throws {
        let wrapper = DataKeyWrapper(masterKey: MasterKey(bytes: Array(repeating: 1, count: 32)))
        let key = DataKeyWrapper.generate()
        let wrapped = try wrapper.wrap(key, tenantID: "ten_a", version: 1)
        #expect(try wrapper.unwrap(wrapped, tenantID: "ten_a", version: 1) == key)
        #expect(throws: (any Error).self) { try wrapper.unwrap(wrapped, tenantID: "ten_b", version: 1) }
        #expect(throws: (any Error).self) { try wrapper.unwrap(wrapped, tenantID: "ten_a", version: 2) }
        let otherMaster = DataKeyWrapper(masterKey: MasterKey(bytes: Array(repeating: 2, count: 32)))
        #expect(throws: (any Error).self) { try otherMaster.unwrap(wrapped, tenantID: "ten_a", version: 1) }
    }

    @Test func theKeyCheckTellsMasterKeysApart() throws {
        let first = MasterKey(bytes: Array(repeating: 1, count: 32))
        let second = MasterKey(bytes: Array(repeating: 2, count: 32))
        let check = try MasterKeyCheck(masterKey: first).make()
        #expect(MasterKeyCheck(masterKey: first).matches(check))
        #expect(!MasterKeyCheck(masterKey: second).matches(check))
        #expect(first.fingerprint != second.fingerprint)
        #expect(first.fingerprint.count == 16)
    }
}

@Suite struct CredentialAuthTypeTests {
    @Test(arguments: CredentialAuthType.allCases)
    func requiredFieldsAreRequired(type: CredentialAuthType) throws {
        for field in type.requiredFields {
            var fields: [String: JSONValue] = [:]
            for other in type.requiredFields where other != field { fields[other] = "https://x" }
            #expect(throws: GatehouseError.self) { try type.validate(.object(fields), encodedSize: 10) }
        }
        let complete = JSONValue.object(Dictionary(uniqueKeysWithValues: type.requiredFields.map { ($0, "https://x") }))
        if type == .custom {
            #expect(throws: GatehouseError.self) { try type.validate(complete, encodedSize: 2) }
            try type.validate(["any": ["shape": 1]], encodedSize: 20)
        } else {
            try type.validate(complete, encodedSize: 10)
        }
    }

    @Test func typedKindsRefuseUnknownFieldsAndNonStrings() {
        #expect(throws: GatehouseError.invalid("data.extra", "is not a field of jwt (allowed: token)")) {
            try CredentialAuthType.jwt.validate(["token": "t", "extra": "x"], encodedSize: 10)
        }
        #expect(throws: GatehouseError.invalid("data.password", "must be a string, got number")) {
            try CredentialAuthType.basicAuth.validate(["username": "u", "password": 1], encodedSize: 10)
        }
        #expect(throws: GatehouseError.invalid("data", "must be an object, got string")) {
            try CredentialAuthType.jwt.validate("token", encodedSize: 10)
        }
    }

    @Test func secretsAreCappedInSize() {
        #expect(throws: GatehouseError.self) {
            try CredentialAuthType.custom.validate(["a": "b"], encodedSize: CredentialAuthType.maximumSecretBytes + 1)
        }
    }
}

@Suite struct JobBackoffTests {
    @Test func delaysDoubleWithJitterAndAreCapped() {
        #expect(JobBackoff.delay(afterAttempt: 1, base: 2, unit: 0) == 1)
        #expect(JobBackoff.delay(afterAttempt: 1, base: 2, unit: 0.999) < 2)
        #expect(JobBackoff.delay(afterAttempt: 3, base: 2, unit: 0) == 4)
        #expect(JobBackoff.delay(afterAttempt: 50, base: 2, unit: 0.5) == 450)
        #expect(JobBackoff.delay(afterAttempt: Int.max, base: 2, unit: 0) == 300)
    }
}
