import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Renders a ``GatehouseError`` as the spec's envelope:
/// `{"error": {"code", "message", "request_id", "details"?}}`.
enum ErrorEnvelope {
    struct Body: Encodable {
        struct Inner: Encodable {
            let code: String
            let message: String
            let requestID: String
            let details: JSONValue?

            enum CodingKeys: String, CodingKey {
                case code, message, details
                case requestID = "request_id"
            }
        }

        let error: Inner
    }

    static func response(for error: GatehouseError, requestID: String) -> Response {
        let body = Body(error: .init(code: error.code, message: error.message, requestID: requestID, details: error.details))
        let data = (try? GatehouseContext.encoder.encode(body)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        switch error {
        case .methodNotAllowed(let allowed):
            headers[.allow] = allowed.joined(separator: ", ")
        case .rateLimited(let seconds):
            headers[.retryAfter] = String(seconds)
        case .unauthenticated:
            headers[.wwwAuthenticate] = "Bearer realm=\"gatehouse\""
        default:
            break
        }
        return Response(
            status: .init(code: error.httpStatus), headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// Maps whatever a handler threw to the error the client sees. Anything unexpected
    /// becomes `internal` — its description is logged, never sent.
    static func classify(_ error: any Error) -> GatehouseError? {
        switch error {
        case let error as GatehouseError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("No route matches this path.")
            case .contentTooLarge: return .payloadTooLarge(limitBytes: 0)
            case .badRequest: return .badRequest(error.body ?? "The request is malformed.")
            case .unsupportedMediaType: return .unsupportedMediaType("Send application/json.")
            default: return nil
            }
        default:
            return nil
        }
    }
}
