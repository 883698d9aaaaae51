import Crypto
import Foundation
import Testing

@testable import GatehouseCore

struct CursorTests {
    let codec = CursorCodec(key: SymmetricKey(size: .bits256))

    @Test func roundTrips() throws {
        let cursor = codec.encode(list: "admin.tenants", after: "ten_x")
        #expect(try codec.decode(cursor, list: "admin.tenants") == "ten_x")
    }

    @Test func aCursorOfAnotherListIsRefused() {
        let cursor = codec.encode(list: "admin.partners", after: "ptn_x")
        #expect(throws: GatehouseError.self) { try codec.decode(cursor, list: "admin.tenants") }
    }

    @Test func anEditedCursorIsRefused() {
        let cursor = codec.encode(list: "l", after: "a")
        let parts = cursor.split(separator: ".")
        let forged = CursorCodec.base64URL(Data(#"{"list":"l","after":"z"}"#.utf8)) + "." + parts[1]
        #expect(throws: GatehouseError.self) { try codec.decode(forged, list: "l") }
    }

    @Test func aCursorSignedByAnotherDeploymentIsRefused() {
        let other = CursorCodec(key: SymmetricKey(size: .bits256)).encode(list: "l", after: "a")
        #expect(throws: GatehouseError.self) { try codec.decode(other, list: "l") }
    }

    @Test(arguments: ["", ".", "abc", "a.b.c", "!!!.???", String(repeating: "A", count: 10000) + ".x"])
    func garbageIsRefused(cursor: String) {
        #expect(throws: GatehouseError.self) { try codec.decode(cursor, list: "l") }
    }

    @Test func pageRequestRejectsCursorWithOffset() {
        #expect(throws: GatehouseError.self) {
            try PageRequest.parse(limit: nil, cursor: "x", offset: "1", list: "l", codec: codec)
        }
    }

    @Test(arguments: ["0", "1001", "-1", "abc", "1.5"])
    func pageRequestRejectsBadLimits(limit: String) {
        #expect(throws: GatehouseError.self) {
            try PageRequest.parse(limit: limit, cursor: nil, offset: nil, list: "l", codec: codec)
        }
    }

    @Test func pageRequestDefaults() throws {
        let page = try PageRequest.parse(limit: nil, cursor: nil, offset: nil, list: "l", codec: codec)
        #expect(page == PageRequest(limit: 50, position: .start))
    }
}
