import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: the conventions of SPEC §1 that every response shares.
///
/// Assigns the request id (echoing a sane `X-Request-Id`), turns every thrown error into
/// the error envelope (405 for a known path with another method), records metrics and
/// writes the access log. The log names the route template and the path — never headers
/// or the query string, so credentials (`Authorization`, `X-Api-Key`, `bearer_token`)
/// cannot reach it.
struct RequestConventionsMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    let metrics: HTTPMetrics
    let telemetry: RequestTelemetry
    let routes: @Sendable () -> RouteTable
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = Self.saneRequestID(request.headers[Self.requestIDHeader])
            ?? ResourceID.generate(.request).rawValue
        context.userAgent = request.headers[.userAgent].map { String($0.prefix(256)) }
        let clock = ContinuousClock()
        let start = clock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = render(error, request: request, context: context)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        if let fields = context.facts.snapshot.rateLimit?.fields { RateLimitFields.add(fields, to: &response.headers) }
        let duration = clock.now - start
        let route = context.endpointPath ?? "NotFound"
        metrics.record(
            method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        record(request, context: context, route: route, status: response.status.code, duration: duration)
        logger.info(
            "request",
            metadata: [
                "request_id": .string(context.requestID),
                "method": .string(request.method.rawValue),
                "route": .string(route),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.3f", duration.milliseconds)),
            ])
        return response
    }

    /// The request-log row, the usage count and — for a failed authentication or a
    /// denial — the audit event, all buffered for the next batch write.
    private func record(_ request: Request, context: Context, route: String, status: Int, duration: Duration) {
        let facts = context.facts.snapshot
        // A tenant's reports show its own credentials' traffic; platform and partner calls on
        // its data are logged without a tenant (and audited where they change something).
        let tenantID = facts.principal?.tenantID
        let now = Timestamp.now
        let entry = RequestLogEntry(
            tenantID: tenantID, keyID: facts.keyID?.rawValue, occurredAt: now, method: request.method.rawValue,
            route: route, status: status, latencyMicroseconds: duration.nanoseconds / 1000)
        let usage = facts.keyID.flatMap { keyID in
            tenantID.map { UsageBucket(tenantID: $0, keyID: keyID.rawValue, meter: "api.requests", hourOf: now) }
        }
        var audit: AuditEvent?
        if status == 401 || status == 403 {
            var context = context
            context.principal = facts.principal
            // Failed authentication lands in the platform chain: the claimed tenant is unproven.
            audit = context.auditEvent(
                status == 401 ? "auth.failed" : "auth.denied", target: "\(request.method.rawValue) \(route)",
                tenant: .some(status == 401 ? nil : tenantID), outcome: status == 401 ? .failure : .denied,
                details: ["path": String(request.uri.path.prefix(256)), "status": String(status)])
        }
        telemetry.record(request: entry, usage: usage, audit: audit)
    }

    private func render(_ error: any Error, request: Request, context: Context) -> Response {
        guard var known = ErrorEnvelope.classify(error) else {
            logger.error(
                "Unhandled error", metadata: ["request_id": .string(context.requestID), "error": "\(error)"])
            return ErrorEnvelope.response(for: .internalError, requestID: context.requestID)
        }
        if case .notFound = known, context.endpointPath == "NotFound" || context.endpointPath == nil {
            let allowed = routes().allowedMethods(for: request.uri.path)
            if !allowed.isEmpty { known = .methodNotAllowed(allowed: allowed) }
        }
        return ErrorEnvelope.response(for: known, requestID: context.requestID)
    }

    /// Up to 128 characters of `[A-Za-z0-9._:-]`; anything else is replaced by our own id.
    static func saneRequestID(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
            })
        else { return nil }
        return value
    }
}
