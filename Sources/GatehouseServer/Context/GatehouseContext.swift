import Foundation
import GatehouseCore
import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus what the middleware chain
/// establishes — the request id, the client address and, once authenticated, the principal.
public struct GatehouseContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `req_…`, or the sane id the client sent in `X-Request-Id`.
    public var requestID: String = ""
    /// Set by authentication; `nil` on public routes.
    public var principal: Principal?
    /// The index entry the credential matched (API keys), for minting tokens.
    var credential: CredentialIndex.Entry?
    /// Where a response that depends on the credential alone (whoami) is cached.
    var credentialCache: EncodedResponseCache?
    /// The API key whose budget this request spends (the key itself, or the key a
    /// presented token was minted from).
    var limitedKey: APIKeyRecord?
    /// The tenant the request acts on, resolved by authorization (path, then
    /// `X-Tenant-Id`, then the credential's own tenant).
    public var tenantID: ResourceID?
    public var remoteAddress: String?
    /// The client's `User-Agent`, for audit events.
    public var userAgent: String?
    /// Shared with the outermost middleware; see ``RequestFacts``.
    var facts = RequestFacts()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    public var responseEncoder: JSONEncoder { Self.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The authenticated principal; routes behind authentication can rely on it.
    public func requirePrincipal() throws(GatehouseError) -> Principal {
        guard let principal else { throw .unauthenticated("This route needs a credential.") }
        return principal
    }

    /// The tenant the request acts on; routes under `tenants/{tenantId}` always have one.
    public func requireTenant() throws(GatehouseError) -> ResourceID {
        guard let tenantID else { throw .badRequest("This route acts on a tenant: name it in the path or X-Tenant-Id.") }
        return tenantID
    }
}
