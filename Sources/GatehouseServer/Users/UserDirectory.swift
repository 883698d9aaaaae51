import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// Users and custom roles in memory, so a session token's principal — its scopes are the
/// union of the user's roles as they are *now* — needs no database round trip. Kept
/// current by the change feed; a removed user's tokens stop on every node.
public final class UserDirectory: Sendable {
    struct Entry: Sendable {
        let tenantID: ResourceID
        let roles: [String]
    }

    private struct State {
        var users: [ResourceID: Entry] = [:]
        var roles: [ResourceID: [Role]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func load(from store: Store) async throws {
        let users = try await store.users.all()
        let roles = try await store.users.allRoles()
        state.withLock { state in
            state.users = Dictionary(users.map { ($0.id, Entry(tenantID: $0.tenantID, roles: $0.roles)) }, uniquingKeysWith: { $1 })
            state.roles = roles
        }
    }

    func update(user id: ResourceID, with user: User?) {
        state.withLock { $0.users[id] = user.map { Entry(tenantID: $0.tenantID, roles: $0.roles) } }
    }

    func update(roles: [Role], of tenant: ResourceID) {
        state.withLock { $0.roles[tenant] = roles }
    }

    /// The scopes of `roles` as `tenant` defines them (built-in roles included).
    func scopes(ofRoles roles: [String], tenant: ResourceID) -> [Scope] {
        state.withLock { Role.scopes(of: roles, custom: $0.roles[tenant] ?? []) }
    }

    /// The user's tenant and current scopes, or `nil` when the user no longer exists.
    func principalParts(of id: ResourceID) -> (tenantID: ResourceID, roles: [String], scopes: [Scope])? {
        state.withLock { state in
            guard let entry = state.users[id] else { return nil }
            return (entry.tenantID, entry.roles, Role.scopes(of: entry.roles, custom: state.roles[entry.tenantID] ?? []))
        }
    }
}

/// Failed logins per account and per client address, in memory on each node: past the
/// limit within the window, further attempts get 429 until the window moves on.
final class LoginThrottle: Sendable {
    let window: TimeInterval = 15 * 60
    let perAccount = 5
    let perAddress = 20
    private let failures = Mutex<[String: [Date]]>([:])

    /// Seconds to wait, when `account` or `address` is over its limit.
    func retryAfter(account: String, address: String?, now: Date) -> Int? {
        failures.withLock { failures in
            var wait: TimeInterval?
            for (key, limit) in [("a:" + account, perAccount)] + (address.map { [("ip:" + $0, perAddress)] } ?? []) {
                let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
                failures[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait ?? 0, window - now.timeIntervalSince(oldest))
                }
            }
            return wait.map { max(1, Int($0.rounded(.up))) }
        }
    }

    func recordFailure(account: String, address: String?, now: Date) {
        failures.withLock { failures in
            failures["a:" + account, default: []].append(now)
            if let address { failures["ip:" + address, default: []].append(now) }
            if failures.count > 100_000 { failures = failures.filter { !($0.value.last.map { now.timeIntervalSince($0) >= window } ?? true) } }
        }
    }

    func recordSuccess(account: String) {
        failures.withLock { $0["a:" + account] = nil }
    }
}
