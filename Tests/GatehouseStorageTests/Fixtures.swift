import Foundation
import GatehouseCore
import GatehouseStorage

enum Fixtures {
    static func tenant(_ name: String = "Acme", partner: ResourceID? = nil, at date: Date = Date()) -> Tenant {
        Tenant(
            id: .generate(.tenant, now: date), name: name, status: .active, partnerID: partner,
            settings: TenantSettings(), createdAt: date, updatedAt: date)
    }

    static func partner(_ name: String = "Reseller", at date: Date = Date()) -> Partner {
        Partner(id: .generate(.partner, now: date), name: name, createdAt: date, updatedAt: date)
    }

    static func key(tenant: ResourceID?, owner: APIKeyRecord.Owner = .tenant, at date: Date = Date()) -> (APIKeyRecord, String) {
        let secret = APIKeyFormat.generate(prefix: "gk")
        let record = APIKeyRecord(
            id: .generate(.apiKey, now: date), tenantID: tenant, owner: owner, ownerID: nil, name: "k",
            start: APIKeyFormat.start(of: secret), scopes: ["provisioning:read"], metadata: ["team": "core"],
            rateLimit: RateLimit(limit: 10, windowSeconds: 60), createdAt: date, updatedAt: date)
        return (record, secret)
    }
}
