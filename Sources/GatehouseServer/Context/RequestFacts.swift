import GatehouseCore
import Synchronization

/// What inner middleware learns about a request (who, which tenant) that the outermost
/// middleware needs once the response is ready — for the request log, usage counts and
/// audit events of failures. The context is a value passed inward, so these facts travel
/// back in this shared box.
final class RequestFacts: Sendable {
    struct Values: Sendable {
        var principal: Principal?
        var keyID: ResourceID?
        var tenantID: ResourceID?
        /// The rate-limit outcome, reported in headers on whatever response goes out.
        var rateLimit: RateLimitReport?
    }

    private let values = Mutex(Values())

    var snapshot: Values { values.withLock { $0 } }

    func update(_ change: (inout Values) -> Void) {
        values.withLock { change(&$0) }
    }
}
