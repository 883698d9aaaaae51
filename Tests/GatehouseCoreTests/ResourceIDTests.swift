import Foundation
import Testing

@testable import GatehouseCore

struct ResourceIDTests {
    @Test func idsCarryTheirPrefixAndParseBack() {
        let id = ResourceID.generate(.tenant)
        #expect(id.rawValue.hasPrefix("ten_"))
        #expect(id.rawValue.count == 4 + 26)
        #expect(ResourceID(id.rawValue, kind: .tenant) == id)
        #expect(ResourceID(id.rawValue, kind: .partner) == nil)
    }

    @Test func laterIdsSortAfterEarlierOnes() {
        let earlier = ResourceID.generate(.tenant, now: Date(timeIntervalSince1970: 1_700_000_000))
        let later = ResourceID.generate(.tenant, now: Date(timeIntervalSince1970: 1_700_000_000.001))
        #expect(earlier < later)
    }

    @Test(arguments: ["ten_", "ten_01JDQ3V6M8X4K2C9R7T5W0Y1ZB", "ten_01jdq3v6m8x4k2c9r7t5w0y1z", "ten_01jdq3v6m8x4k2c9r7t5w0y1zu",
                      "../etc/passwd", "ten_01jdq3v6m8x4k2c9r7t5w0y1zb/x"])
    func malformedIdsAreRejected(candidate: String) {
        #expect(ResourceID(candidate, kind: .tenant) == nil)
    }
}
