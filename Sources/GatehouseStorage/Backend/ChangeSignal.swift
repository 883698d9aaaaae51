import Logging
import PostgresNIO

extension PostgresBackend {
    /// Calls `signal` whenever a change-feed NOTIFY arrives; returns when cancelled.
    /// Holds one pooled connection while listening and reconnects after failures.
    public func listenForChanges(logger: Logger, _ signal: @Sendable @escaping () -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: SQLChangeFeed.channel) { notifications in
                        signal()  // catch up on anything published while (re)connecting
                        for try await _ in notifications { signal() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN for changes failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
