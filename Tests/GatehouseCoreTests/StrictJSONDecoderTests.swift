import Foundation
import Testing

@testable import GatehouseCore

struct StrictJSONDecoderTests {
    struct Limit: Decodable, Equatable {
        let limit: Int
        let window_seconds: Int?
    }

    struct Body: Decodable, Equatable {
        let name: String
        let tags: [String]?
        let limit: Limit?
    }

    func decode(_ text: String) throws(GatehouseError) -> Body {
        try StrictJSONDecoder().decode(Body.self, from: Data(text.utf8))
    }

    @Test func acceptsKnownFields() throws {
        let body = try decode(#"{"name":"a","tags":["x"],"limit":{"limit":3}}"#)
        #expect(body == Body(name: "a", tags: ["x"], limit: Limit(limit: 3, window_seconds: nil)))
    }

    @Test func unknownTopLevelFieldIsNamed() {
        #expect(throws: GatehouseError.validationFailed(fields: ["extra": "unknown field"])) {
            try decode(#"{"name":"a","extra":1}"#)
        }
    }

    @Test func unknownNestedFieldIsNamedWithItsPath() {
        #expect(throws: GatehouseError.validationFailed(fields: ["limit.burst": "unknown field"])) {
            try decode(#"{"name":"a","limit":{"limit":1,"burst":2}}"#)
        }
    }

    @Test func wrongTypeNamesTheField() {
        do {
            _ = try decode(#"{"name":5}"#)
            Issue.record("expected a failure")
        } catch {
            guard case .validationFailed(let fields) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(fields["name"]?.contains("expected string") == true)
        }
    }

    @Test func wrongTypeInsideAnArrayNamesTheIndex() {
        do {
            _ = try decode(#"{"name":"a","tags":["x",1]}"#)
            Issue.record("expected a failure")
        } catch {
            guard case .validationFailed(let fields) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(fields.keys.contains("tags[1]"))
        }
    }

    @Test func missingRequiredFieldIsNamed() {
        #expect(throws: GatehouseError.validationFailed(fields: ["name": "required field is missing"])) {
            try decode(#"{}"#)
        }
    }

    @Test func nullForARequiredFieldIsRejected() {
        #expect(throws: GatehouseError.validationFailed(fields: ["name": "must not be null"])) {
            try decode(#"{"name":null}"#)
        }
    }

    @Test(arguments: ["", "{", "{\"name\":}", "[1,2", "nul", "{\"name\":\"a\"} trailing"])
    func malformedJSONIsABadRequest(text: String) {
        #expect(throws: GatehouseError.badRequest("The request body is not valid JSON.")) { try decode(text) }
    }

    @Test func nonObjectBodyIsAValidationFailure() {
        #expect(throws: GatehouseError.self) { try decode("[]") }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: GatehouseError.badRequest("The request body nests deeper than 32 levels.")) {
            try StrictJSONDecoder().parse(Data(deep.utf8))
        }
    }

    @Test func fractionalNumberForAnIntegerIsRejected() {
        #expect(throws: GatehouseError.self) { try decode(#"{"name":"a","limit":{"limit":1.5}}"#) }
    }
}
