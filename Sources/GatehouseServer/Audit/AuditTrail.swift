import Foundation
import GatehouseCore
import Logging

/// One audit-ready event: who did what to which object, and how it ended. Never holds a
/// secret — only ids, names of fields and outcomes.
public struct AuditEvent: Sendable, Equatable {
    public var action: String
    public var actor: Principal?
    public var tenantID: ResourceID?
    public var target: String?
    public var outcome: String
    public var requestID: String
    public var details: [String: String]

    public init(
        action: String, actor: Principal?, tenantID: ResourceID?, target: String?, outcome: String = "success",
        requestID: String, details: [String: String] = [:]
    ) {
        self.action = action
        self.actor = actor
        self.tenantID = tenantID
        self.target = target
        self.outcome = outcome
        self.requestID = requestID
        self.details = details
    }
}

/// The single function every mutating call reports through. Until the audit log exists
/// (its own milestone) events go to the structured log under the label `gatehouse.audit`.
public struct AuditTrail: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        var logger = logger
        logger[metadataKey: "audit"] = "true"
        self.logger = logger
    }

    public func record(_ event: AuditEvent) {
        var metadata: Logger.Metadata = [
            "action": .string(event.action),
            "outcome": .string(event.outcome),
            "request_id": .string(event.requestID),
            "actor": .string(event.actor.map { "\($0.kind.rawValue):\($0.id)" } ?? "anonymous"),
        ]
        if let tenantID = event.tenantID { metadata["tenant_id"] = .string(tenantID.rawValue) }
        if let target = event.target { metadata["target"] = .string(target) }
        for (key, value) in event.details { metadata["detail.\(key)"] = .string(value) }
        logger.info("audit", metadata: metadata)
    }
}

extension GatehouseContext {
    /// An audit event for this request, with its actor, tenant and request id filled in.
    func auditEvent(_ action: String, target: String?, details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(action: action, actor: principal, tenantID: tenantID, target: target, requestID: requestID, details: details)
    }
}
