import GatehouseCore
import HTTPTypes
import Hummingbird

/// Finds the credential a request presents: `Authorization: Bearer`, `X-Api-Key` (any
/// spelling of the header name) or the discouraged `?bearer_token=`. Two different
/// credentials in one request are refused rather than guessed between.
enum CredentialExtractor {
    static let apiKeyHeader = HTTPField.Name("X-Api-Key")!

    static func credential(in request: Request) throws(GatehouseError) -> String? {
        var found: [String] = []
        for value in request.headers[values: .authorization] {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw .unauthenticated("The Authorization header must use the Bearer scheme.")
            }
            found.append(parts[1].trimmingCharacters(in: .whitespaces))
        }
        found.append(contentsOf: request.headers[values: apiKeyHeader].map { $0.trimmingCharacters(in: .whitespaces) })
        if let token = request.uri.queryParameters.get("bearer_token") {
            found.append(token)
        }
        let distinct = Set(found)
        guard distinct.count <= 1 else {
            throw .badRequest("The request presents more than one credential; send exactly one.")
        }
        guard let credential = distinct.first else { return nil }
        guard !credential.isEmpty else { throw .unauthenticated("The credential is empty.") }
        return credential
    }
}
