import Foundation
import GatehouseCore
import Hummingbird

extension GatehouseContext {
    /// An audit event for this request: actor, request id, client address and user agent
    /// filled in. `tenant` defaults to the request's tenant; admin actions pass `nil` to
    /// land in the platform chain.
    func auditEvent(
        _ action: String, target: String?, tenant: ResourceID?? = nil, outcome: AuditEvent.Outcome = .success,
        details: [String: String] = [:]
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenant ?? tenantID, actorType: principal?.kind.rawValue ?? "anonymous", actorID: principal?.id,
            action: action, target: target, outcome: outcome, requestID: requestID, ip: remoteAddress,
            userAgent: userAgent, details: details)
    }
}
