import Prometheus

/// Request counts and latency histograms by route template and status, in a registry owned
/// by the application (no global metrics state, so several apps can live in one process).
public struct HTTPMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "gatehouse_http_requests_total",
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            name: "gatehouse_http_request_duration_seconds",
            labels: [("method", method), ("route", route), ("status", String(status))],
            buckets: Self.buckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    func exposition() -> String {
        registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    var milliseconds: Double {
        Double(nanoseconds) / 1_000_000
    }

    var seconds: Double {
        Double(nanoseconds) / 1_000_000_000
    }
}
