import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GatehouseCore
import NIOCore
import NIOPosix

/// Checks where a webhook may be sent: `http(s)` URLs whose host resolves only to public
/// addresses (every A and AAAA record), unless the deployment allows private ones (tests
/// allow loopback). Checked when a subscription is saved and again before every delivery
/// (DNS can change). Residual risk: a name that changes between this check and the HTTP
/// client's own lookup (DNS rebinding within seconds) is not caught.
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

    /// Every address `host` resolves to (all A and AAAA records: the HTTP client may use any).
    static func resolve(_ host: String, port: Int) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive { allAddresses(host, port: port) }) ?? []
    }

    static func allAddresses(_ host: String, port: Int) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let raw = info.pointee.ai_addr {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(raw, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}
