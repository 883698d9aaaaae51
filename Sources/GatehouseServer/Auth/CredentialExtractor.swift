import GatehouseCore
import HTTPTypes
import Hummingbird

/// Finds the credential a request presents: `Authorization: Bearer`, `X-Api-Key` (any
/// spelling of the header name) or the discouraged `?bearer_token=`. Two different
/// credentials in one request are refused rather than guessed between.
enum CredentialExtractor {
    static let apiKeyHeader = HTTPField.Name("X-Api-Key")!

    static func credential(in request: Request) throws(GatehouseError) -> String? {
        var credential: String?
        func add(_ value: Substring) throws(GatehouseError) {
            var value = value.drop(while: { $0 == " " })
            while value.last == " " { value = value.dropLast() }
            let trimmed = String(value)
            if let credential, credential != trimmed {
                throw .badRequest("The request presents more than one credential; send exactly one.")
            }
            credential = trimmed
        }
        for value in request.headers[values: .authorization] {
            guard value.count > 7, value.prefix(7).lowercased() == "bearer " else {
                throw .unauthenticated("The Authorization header must use the Bearer scheme.")
            }
            try add(value.dropFirst(7))
        }
        for value in request.headers[values: apiKeyHeader] { try add(Substring(value)) }
        if request.uri.query != nil, let token = request.uri.queryParameters.get("bearer_token") {
            try add(Substring(token))
        }
        if credential?.isEmpty == true { throw .unauthenticated("The credential is empty.") }
        return credential
    }
}
