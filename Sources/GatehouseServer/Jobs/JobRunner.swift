import Foundation
import GatehouseCore
import GatehouseStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes a background worker of this node at once (a job or a delivery was just queued
/// here); other nodes find the work on their next poll.
public final class Wakeup: Sendable {
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func wake() { continuation.yield() }
}

/// Runs jobs from the durable queue, one at a time per node, and enqueues the periodic
/// ones (audit retention, expired-credentials cleanup) with singleton keys, so several
/// nodes never queue duplicates.
///
/// While a job runs its lease is renewed every third of the lease; if the node dies the
/// lease lapses and another node runs the job again (at-least-once: handlers are
/// idempotent). A failed attempt is retried after `JobBackoff`, up to `maxAttempts`.
struct JobRunner: Service {
    let environment: ServerEnvironment
    let logger: Logger
    var options: ServerOptions { environment.options }
    var jobs: any JobQueue { environment.store.jobs }

    func run() async throws {
        try? await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [options, environment] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.jobPollInterval)
                    environment.jobWakeup.wake()
                }
            }
            let clock = ContinuousClock()
            // Periodic jobs are first queued a minute after start, not at once: a fleet
            // restarting together (or a test suite starting hundreds of servers) does not
            // run them all in the same second.
            var nextSchedule = clock.now + min(options.jobScheduleInterval, .seconds(60))
            for await _ in environment.jobWakeup.stream {
                if Task.isCancelled { break }
                if clock.now >= nextSchedule {
                    await schedulePeriodicJobs()
                    nextSchedule = clock.now + options.jobScheduleInterval
                }
                while !Task.isCancelled, await runNext() {}
            }
            group.cancelAll()
        }
    }

    /// Claims and runs one due job; `false` when none was due (or the queue failed).
    func runNext() async -> Bool {
        let job: Job
        do {
            let now = Date()
            guard let claimed = try await jobs.claim(node: environment.nodeID, now: now, leaseUntil: now + options.jobLease.seconds)
            else { return false }
            job = claimed
        } catch {
            logger.warning("Claiming a job failed; will retry", metadata: ["error": "\(error)"])
            return false
        }
        logger.info("Running job", metadata: ["job": "\(job.name.rawValue)", "id": "\(job.id)", "attempt": "\(job.attempts)"])
        let outcome = await withTaskGroup(of: RunOutcome.self) { group in
            group.addTask { [self] in .finished(await Result(catching: { try await JobHandlers(environment: environment, logger: logger).run(job) })) }
            group.addTask { [self] in await holdLease(of: job) }
            let first = await group.next() ?? .leaseLost
            group.cancelAll()
            return first
        }
        switch outcome {
        case .finished where Task.isCancelled:
            // Stopped by a shutdown, not failed: the job goes back to the queue without
            // spending an attempt (from a fresh task: the cancelled one cannot write).
            let (jobs, node) = (jobs, environment.nodeID)
            await Task { try? await jobs.release(job.id, node: node, at: Date()) }.value
        case .finished(let result):
            await record(result, of: job)
        case .leaseLost:
            logger.warning("Lost the lease of a running job; stopped it (another node may run it)", metadata: ["id": "\(job.id)"])
        }
        return true
    }

    enum RunOutcome: Sendable {
        case finished(Result<JSONValue, any Error>)
        case leaseLost
    }

    /// Renews the lease every third of its length; returns when the node no longer holds
    /// it (taken over, or not renewable until it lapsed), so the job is stopped.
    private func holdLease(of job: Job) async -> RunOutcome {
        let clock = ContinuousClock()
        var renewed = clock.now
        while true {
            try? await Task.sleep(for: options.jobLease / 3)
            if Task.isCancelled { return .leaseLost }
            do {
                guard try await jobs.renew(job.id, node: environment.nodeID, until: Date() + options.jobLease.seconds) else {
                    return .leaseLost
                }
                renewed = clock.now
            } catch {
                if clock.now - renewed >= options.jobLease { return .leaseLost }
            }
        }
    }

    private func record(_ outcome: Result<JSONValue, any Error>, of job: Job) async {
        let now = Date()
        do {
            switch outcome {
            case .success(let result):
                let held = try await jobs.succeed(
                    job.id, node: environment.nodeID, result: result, at: now,
                    audit: Self.audit("job.succeeded", job, outcome: .success, details: ["attempt": "\(job.attempts)"]))
                if !held { logger.warning("A job finished after its lease passed to another node", metadata: ["id": "\(job.id)"]) }
            case .failure(let error):
                let message = Self.describe(error)
                let retryAt = job.attempts < job.maxAttempts
                    ? now + JobBackoff.delay(
                        afterAttempt: job.attempts, base: options.jobRetryBaseDelay.seconds, unit: Double.random(in: 0..<1))
                    : nil
                try await jobs.fail(
                    job.id, node: environment.nodeID, error: message, retryAt: retryAt, at: now,
                    audit: Self.audit(
                        "job.failed", job, outcome: .failure,
                        details: ["attempt": "\(job.attempts)", "error": message, "will_retry": "\(retryAt != nil)"]))
                logger.warning("Job failed", metadata: ["id": "\(job.id)", "error": "\(message)", "retry": "\(retryAt != nil)"])
            }
        } catch {
            // The lease lapses and another attempt runs: at-least-once.
            logger.warning("Recording a job outcome failed", metadata: ["id": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Jobs record outcomes in the platform chain (they act for the platform).
    static func audit(_ action: String, _ job: Job, outcome: AuditEvent.Outcome, details: [String: String]) -> AuditEvent {
        var details = details
        details["job"] = job.name.rawValue
        return AuditEvent(
            tenantID: nil, actorType: "system", actorID: "job-runner", action: action, target: job.id.rawValue,
            outcome: outcome, details: details)
    }

    /// Error text safe to store and show: our own errors describe themselves without
    /// secrets; anything else is named by type only.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as JobError: error.description
        case let error as VaultError: error.description
        case let error as GatehouseError: error.message
        default: "\(type(of: error))"
        }
    }

    func schedulePeriodicJobs() async {
        var periodic: [(JobName, JSONValue)] = [(.expiredCredentialsCleanup, [:])]
        if let retention = options.auditRetention {
            periodic.append((.auditRetention, ["older_than_seconds": .int(retention.components.seconds)]))
        }
        for (name, params) in periodic {
            let now = Timestamp.now
            let job = Job(
                id: .generate(.job, now: now), name: name, params: params, maxAttempts: 3, runAfter: now,
                singletonKey: "periodic:" + name.rawValue, createdAt: now)
            do {
                _ = try await jobs.enqueue(job, audit: nil)
            } catch {
                logger.warning("Scheduling a periodic job failed", metadata: ["job": "\(name.rawValue)", "error": "\(error)"])
            }
        }
    }
}

