import Foundation
import GatehouseCore
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
    let routes: @Sendable () -> RouteTable
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = Self.saneRequestID(request.headers[Self.requestIDHeader])
            ?? ResourceID.generate(.request).rawValue
        let clock = ContinuousClock()
        let start = clock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = render(error, request: request, context: context)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        let duration = clock.now - start
        let route = context.endpointPath ?? "NotFound"
        metrics.record(
            method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
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
