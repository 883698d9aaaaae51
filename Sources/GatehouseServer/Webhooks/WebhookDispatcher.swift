import AsyncHTTPClient
import Foundation
import GatehouseCore
import GatehouseStorage
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sends webhook deliveries from the outbox (Standard Webhooks): signed with every live
/// secret, a timeout per attempt, redirects not followed, retried with exponential backoff
/// and jitter (or the receiver's `Retry-After`, when later), `410 Gone` disables the
/// subscription, and a subscription failing for the configured time is disabled too.
struct WebhookDispatcher: Service {
    let environment: ServerEnvironment
    let logger: Logger
    var options: ServerOptions { environment.options }
    var webhooks: any WebhookRepository { environment.store.webhooks }
    static let batch = 32

    func run() async throws {
        let client = LazyClient(options: options)
        try? await cancelWhenGracefulShutdown { await loop(client) }
        await client.shutdown()
    }

    /// The HTTP client, made on the first delivery: most nodes of a quiet deployment (and
    /// most test servers) never send one.
    final class LazyClient: Sendable {
        private let made = Locked<HTTPClient?>(nil)
        let options: ServerOptions

        init(options: ServerOptions) { self.options = options }

        var client: HTTPClient {
            made.withLock { made in
                if let made { return made }
                var configuration = HTTPClient.Configuration(
                    redirectConfiguration: .disallow,
                    timeout: .init(connect: .seconds(5), read: .seconds(Int64(options.webhookTimeout.seconds.rounded(.up)))))
                configuration.decompression = .disabled
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                made = client
                return client
            }
        }

        func shutdown() async {
            if let client = made.withLock({ $0 }) { try? await client.shutdown() }
        }
    }

    private func loop(_ client: LazyClient) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [options, environment] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.webhookPollInterval)
                    environment.webhookWakeup.wake()
                }
            }
            for await _ in environment.webhookWakeup.stream {
                if Task.isCancelled { break }
                while !Task.isCancelled, await dispatchBatch(client) > 0 {}
            }
            group.cancelAll()
        }
    }

    /// Claims and sends one batch concurrently; returns how many were claimed.
    func dispatchBatch(_ lazy: LazyClient) async -> Int {
        let claimed: [ClaimedDelivery]
        do {
            let now = Date()
            claimed = try await webhooks.claim(
                node: environment.nodeID, now: now, leaseUntil: now + options.webhookTimeout.seconds * 3, limit: Self.batch)
        } catch {
            logger.warning("Claiming webhook deliveries failed; will retry", metadata: ["error": "\(error)"])
            return 0
        }
        guard !claimed.isEmpty else { return 0 }
        let client = lazy.client
        let attempts = await withTaskGroup(of: RecordedAttempt.self) { group in
            for delivery in claimed {
                group.addTask { await send(delivery, client: client) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // The batch's outcomes in one transaction: the writer, not the network, is the bound.
        do {
            try await webhooks.record(attempts, node: environment.nodeID, disableAfter: options.webhookDisableAfter.seconds)
        } catch {
            // The leases lapse and the deliveries are sent again: at-least-once.
            logger.warning("Recording webhook attempts failed", metadata: ["count": "\(attempts.count)", "error": "\(error)"])
        }
        return claimed.count
    }

    /// Sends one delivery; returns the attempt to record.
    func send(_ claimed: ClaimedDelivery, client: HTTPClient) async -> RecordedAttempt {
        let start = ContinuousClock.now
        // The whole attempt runs under the timeout, however slowly the receiver answers,
        // so one endpoint cannot hold a batch (or outlive its lease).
        let (status, error, retryAfter) = await withTaskGroup(of: (Int?, String?, TimeInterval?).self) { group in
            group.addTask { await attempt(claimed, client: client) }
            group.addTask { [options] in
                try? await Task.sleep(for: options.webhookTimeout)
                return (nil, "timed out after \(options.webhookTimeout)", nil)
            }
            let first = await group.next() ?? (nil, "cancelled", nil)
            group.cancelAll()
            return first
        }
        let latency = Int64((ContinuousClock.now - start).seconds * 1000)
        let now = Date()
        let delivery = claimed.delivery
        let outcome: DeliveryOutcome
        var disable: String?
        switch status {
        case .some(200...299):
            outcome = .delivered(status: status!)
        case .some(410):
            outcome = .failed(status: 410, error: "410 Gone", retryAt: nil)
            disable = "the endpoint answered 410 Gone"
        default:
            var retryAt: Date?
            if delivery.attempts < options.webhookMaxAttempts {
                let backoff = JobBackoff.delay(
                    afterAttempt: delivery.attempts, base: options.webhookRetryBaseDelay.seconds, unit: Double.random(in: 0..<1))
                retryAt = now + max(backoff, retryAfter ?? 0)
            }
            outcome = .failed(status: status, error: error, retryAt: retryAt)
        }
        return RecordedAttempt(
            delivery: delivery.id,
            attempt: WebhookAttempt(attempt: delivery.attempts, statusCode: status, latencyMilliseconds: latency, error: error, at: now),
            outcome: outcome, disable: disable)
    }

    /// One HTTP attempt: the status (nil when none came back), an error text, and the
    /// receiver's `Retry-After` in seconds.
    func attempt(_ claimed: ClaimedDelivery, client: HTTPClient) async -> (Int?, String?, TimeInterval?) {
        let subscription = claimed.subscription
        do {
            try await WebhookTarget(allowPrivate: options.webhookAllowPrivateTargets).check(subscription.url)
        } catch {
            return (nil, "target refused: \(error.description)", nil)
        }
        let secrets: [String]
        do {
            secrets = try liveSecrets(of: subscription, now: Date())
        } catch {
            return (nil, "the signing secret does not open", nil)
        }
        let body = Data(claimed.payload.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        let messageID = claimed.delivery.eventID.rawValue
        var request = HTTPClientRequest(url: subscription.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Gatehouse-Webhooks/\(GatehouseVersion.current)")
        request.headers.add(name: "webhook-id", value: messageID)
        request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
        request.headers.add(
            name: "webhook-signature", value: WebhookSignature.header(id: messageID, timestamp: timestamp, body: body, secrets: secrets))
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(options.webhookTimeout.seconds.rounded(.up))))
            // The body is not read: only the status matters, and a slow body must not hold us.
            let retryAfter = RetryAfter.delay(response.headers.first(name: "Retry-After"), now: Date())
            return (Int(response.status.code), (200...299).contains(response.status.code) ? nil : "HTTP \(response.status.code)", retryAfter)
        } catch {
            return (nil, String("\(error)".prefix(300)), nil)
        }
    }

    func liveSecrets(of subscription: WebhookSubscription, now: Date) throws -> [String] {
        let sealer = SecretSealer(masterKey: environment.masterKey, purpose: SealPurpose.webhookSecrets)
        let id = subscription.id.rawValue
        var secrets = [String(decoding: try sealer.open(subscription.secretSealed, binding: id), as: UTF8.self)]
        if let previous = subscription.previousSecretSealed, let until = subscription.previousSecretExpiresAt, until > now {
            secrets.append(String(decoding: try sealer.open(previous, binding: id), as: UTF8.self))
        }
        return secrets
    }
}
