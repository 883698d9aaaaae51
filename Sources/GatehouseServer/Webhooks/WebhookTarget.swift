import Foundation
import GatehouseCore
import NIOCore
import NIOPosix

/// Checks where a webhook may be sent: `http(s)` URLs whose host resolves only to public
/// addresses, unless the deployment allows private ones (tests allow loopback). Checked
/// when a subscription is saved and again before every delivery (DNS can change).
struct WebhookTarget: Sendable {
    let allowPrivate: Bool

    enum Refusal: Error, CustomStringConvertible {
        case malformed
        case privateAddress(String)
        case unresolvable(String)

        var description: String {
            switch self {
            case .malformed: "must be an absolute http or https URL without credentials"
            case .privateAddress(let host): "\(host) is a private, loopback or link-local address; this deployment does not send there"
            case .unresolvable(let host): "\(host) does not resolve"
            }
        }
    }

    /// Validates the URL's shape (no I/O).
    static func parse(_ text: String) throws(Refusal) -> URLComponents {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else { throw .malformed }
        return components
    }

    /// Refuses a URL whose host is, or resolves to, a non-public address.
    func check(_ text: String) async throws(Refusal) {
        let components = try Self.parse(text)
        let host = components.host ?? ""
        guard !allowPrivate else { return }
        let addresses: [String]
        if NetworkAddress.classify(host) != nil {
            addresses = [host]
        } else {
            addresses = await Self.resolve(host, port: components.port ?? (components.scheme == "https" ? 443 : 80))
            guard !addresses.isEmpty else { throw .unresolvable(host) }
        }
        for address in addresses where NetworkAddress.classify(address) != .publicAddress {
            throw .privateAddress(host)
        }
    }

    static func resolve(_ host: String, port: Int) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive {
            (try? SocketAddress.makeAddressResolvingHost(host, port: port)).flatMap(\.ipAddress).map { [$0] } ?? []
        }) ?? []
    }
}
