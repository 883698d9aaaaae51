import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `POST /api/v1/metering/tenants/{tenantId}/events` (seed 003): a batch of usage events,
/// each counted once per `idempotency_key`; the totals appear in `reporting/usage`.
struct MeteringRoutes {
    let environment: ServerEnvironment
    static let maximumBatch = 1000

    func register(on router: Router<GatehouseContext>) {
        router.post("/api/v1/metering/tenants/{tenantId}/events", use: record)
    }

    struct Body: Decodable {
        struct Event: Decodable {
            let meter: String
            let quantity: Int64
            let time: Date
            let idempotencyKey: String
            let dimensions: [String: String]?

            enum CodingKeys: String, CodingKey {
                case meter, quantity, time, dimensions
                case idempotencyKey = "idempotency_key"
            }
        }

        let events: [Event]
    }

    struct Result: Encodable {
        let idempotency_key: String
        let status: String
    }

    struct Reply: Encodable {
        let accepted: Int
        let duplicates: Int
        let results: [Result]
    }

    @Sendable func record(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: Body.self, limit: environment.options.maxBodyBytes)
        guard (1...Self.maximumBatch).contains(body.events.count) else {
            throw GatehouseError.invalid("events", "must hold 1 to \(Self.maximumBatch) events")
        }
        let tenantID = try await environment.existingTenant(of: context)
        let now = Date()
        let events = body.events.map {
            MeterEvent(
                meter: $0.meter, quantity: $0.quantity, time: $0.time, idempotencyKey: $0.idempotencyKey,
                dimensions: $0.dimensions ?? [:])
        }
        for (index, event) in events.enumerated() { try event.validate(index: index, now: now) }
        let fresh = try await environment.store.metering.record(
            events, tenant: tenantID, keyID: context.limitedKey?.id.rawValue ?? "", at: now)
        let accepted = fresh.filter { $0 }.count
        return try JSONResponse.make(Reply(
            accepted: accepted, duplicates: fresh.count - accepted,
            results: zip(events, fresh).map { Result(idempotency_key: $0.idempotencyKey, status: $1 ? "accepted" : "duplicate") }))
    }
}
