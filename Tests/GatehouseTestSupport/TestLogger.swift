import Logging
import Synchronization

public enum TestLogger {
    public static var quiet: Logger {
        var logger = Logger(label: "gatehouse-test")
        logger.logLevel = .warning
        return logger
    }
}

/// Collects every log line written through it, to check what logs may contain.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "capture") { _ in CapturingHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}
