import Foundation
import GatehouseCore
import GatehouseStorage
import Logging
import ServiceLifecycle

/// Keeps this node's in-memory state (the credential index) in step with the database:
/// follows the change feed every poll interval and rebuilds everything every resync
/// interval, as a safety net.
public struct ChangeFollower: Service {
    let store: Store
    let index: CredentialIndex
    let options: ServerOptions
    let logger: Logger
    let startSequence: Int64

    /// Loads the whole index; call before the server accepts requests.
    public static func warm(
        store: Store, index: CredentialIndex, options: ServerOptions, logger: Logger
    ) async throws -> ChangeFollower {
        // Read the feed position first: changes that land during the load are replayed.
        let sequence = try await store.changes.latestSequence()
        index.replaceAll(with: try await store.apiKeys.liveKeys(now: Date()))
        return ChangeFollower(store: store, index: index, options: options, logger: logger, startSequence: sequence)
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await follow() }
    }

    private func follow() async throws {
        var sequence = startSequence
        let clock = ContinuousClock()
        var lastResync = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: options.changePollInterval)
            do {
                if clock.now - lastResync >= options.fullResyncInterval {
                    let position = try await store.changes.latestSequence()
                    index.replaceAll(with: try await store.apiKeys.liveKeys(now: Date()))
                    sequence = max(sequence, position)
                    lastResync = clock.now
                }
                sequence = try await apply(after: sequence)
            } catch {
                if Task.isCancelled { return }
                logger.warning("Change feed poll failed; will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Applies every change after `sequence`; returns the new position.
    func apply(after sequence: Int64) async throws -> Int64 {
        var position = sequence
        while true {
            let changes = try await store.changes.changes(after: position, limit: 500)
            for change in changes {
                try await apply(change)
                position = change.sequence
            }
            if changes.count < 500 { return position }
        }
    }

    private func apply(_ change: ChangeEvent) async throws {
        switch change.topic {
        case .apiKey:
            guard let id = ResourceID(change.entityID, kind: .apiKey) else { return }
            index.update(keyID: id, with: try await store.apiKeys.liveKey(id, now: Date()))
        case .tenant:
            guard let id = ResourceID(change.entityID, kind: .tenant) else { return }
            if try await store.tenants.get(id) == nil { index.removeTenant(id) }
        case .partner:
            break
        }
    }
}
