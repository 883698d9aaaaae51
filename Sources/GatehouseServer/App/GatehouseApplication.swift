import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Builds the Hummingbird application: middleware chain, routes and background services.
///
/// ```swift
/// let app = try await GatehouseApplication.make(environment: environment, logger: logger)
/// try await app.runService()
/// ```
public enum GatehouseApplication {
    /// The router with every route, behind the middleware chain (outermost first):
    /// conventions (request id, errors, metrics, access log) → authentication → rate limits →
    /// authorization.
    public static func makeRouter(environment: ServerEnvironment, logger: Logger) -> Router<GatehouseContext> {
        let router = Router(context: GatehouseContext.self)
        let table = RouteTableBox()
        router.add(middleware: RequestConventionsMiddleware(
            metrics: environment.metrics, telemetry: environment.telemetry, routes: { table.value }, logger: logger))
        router.add(middleware: AuthenticationMiddleware(
            authenticator: environment.authenticator, usage: environment.usage, tokens: environment.tokens,
            external: environment.externalIdentity))
        router.add(middleware: RateLimitMiddleware(
            limiter: environment.rateLimiter, tenants: environment.tenants, addressLimit: environment.options.addressRateLimit))
        router.add(middleware: AuthorizationMiddleware(tenants: environment.tenants))
        HealthRoutes(environment: environment).register(on: router)
        MetaRoutes(environment: environment).register(on: router)
        AdminTenantRoutes(environment: environment).register(on: router)
        AdminPartnerRoutes(environment: environment).register(on: router)
        AdminServiceAccountRoutes(environment: environment).register(on: router)
        APIKeyRoutes(environment: environment).register(on: router)
        KeyRateLimitRoutes(environment: environment).register(on: router)
        ServiceAccountRoutes(environment: environment).register(on: router)
        AuthRoutes(environment: environment).register(on: router)
        ProvisioningRoutes(environment: environment).register(on: router)
        AuditRoutes(environment: environment).register(on: router)
        ReportingRoutes(environment: environment).register(on: router)
        TokenRoutes(environment: environment).register(on: router)
        OAuthClientRoutes(environment: environment).register(on: router)
        OAuthRoutes(environment: environment).register(on: router)
        SessionRoutes(environment: environment).register(on: router)
        UserRoutes(environment: environment).register(on: router)
        VaultRoutes(environment: environment).register(on: router)
        MeteringRoutes(environment: environment).register(on: router)
        WebhookRoutes(environment: environment).register(on: router)
        AdminJobRoutes(environment: environment).register(on: router)
        table.value = RouteTable(router: router)
        return router
    }

    /// The application with its background services; warms the credential index first.
    public static func make(
        environment: ServerEnvironment, logger: Logger
    ) async throws -> some ApplicationProtocol {
        try await environment.verifyMasterKey(logger: logger)
        let follower = try await ChangeFollower.warm(
            store: environment.store, index: environment.index, tenants: environment.tenants,
            signingKeys: environment.signingKeys, oauth: environment.oauth, users: environment.users,
            options: environment.options, logger: logger)
        try await environment.externalIdentity.load()
        let flusher = TelemetryFlusher(
            telemetry: environment.telemetry, keyUsage: environment.usage, store: environment.store,
            interval: environment.options.usageFlushInterval, logger: logger)
        return Application(
            router: makeRouter(environment: environment, logger: logger),
            configuration: .init(
                address: .hostname(environment.options.host, port: environment.options.port),
                serverName: nil),
            services: [follower, flusher] + backgroundWorkers(environment: environment, logger: logger),
            logger: logger)
    }
}

extension GatehouseApplication {
    /// The job runner and the webhook dispatcher, unless this node leaves them to others.
    static func backgroundWorkers(environment: ServerEnvironment, logger: Logger) -> [any Service] {
        guard environment.options.runsJobs else { return [] }
        return [JobRunner(environment: environment, logger: logger), WebhookDispatcher(environment: environment, logger: logger)]
    }
}

/// The route table is known only once every route is registered, after the middleware
/// that consults it was created; this box hands it over.
final class RouteTableBox: Sendable {
    private let storage = Mutex(RouteTable(routes: []))
    var value: RouteTable {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
