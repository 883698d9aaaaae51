import ArgumentParser
import Foundation
import GatehouseServer
import GatehouseStorage
import Logging

/// Options every command shares. Each falls back to a `GATEHOUSE_*` environment variable,
/// then to the config file (`--config`, JSON with the same names in snake_case), then to
/// the embedded default.
struct CommonOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite:PATH or postgres://user:pass@host:port/db. Env: GATEHOUSE_DATABASE_URL.")
    var database: String?

    @Option(help: "Folder for the SQLite file and a generated development master key. Env: GATEHOUSE_DATA_DIR.")
    var dataDir: String?

    @Option(help: "File holding the base64 master key. Env: GATEHOUSE_MASTER_KEY_FILE (or GATEHOUSE_MASTER_KEY itself).")
    var masterKeyFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Env: GATEHOUSE_LOG_LEVEL.")
    var logLevel: String?

    @Option(help: "text or json. Env: GATEHOUSE_LOG_FORMAT.")
    var logFormat: String?

    @Option(help: "A JSON config file. Env: GATEHOUSE_CONFIG.")
    var config: String?

    /// Resolves one setting: flag, then environment, then config file, then default.
    func setting(_ flag: String?, env: String, key: String, default value: String? = nil) throws -> String? {
        if let flag { return flag }
        if let fromEnvironment = ProcessInfo.processInfo.environment[env], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        if let fromFile = try configFile()[key] { return fromFile }
        return value
    }

    func configFile() throws -> [String: String] {
        guard let path = config ?? ProcessInfo.processInfo.environment["GATEHOUSE_CONFIG"] else { return [:] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("The config file must hold a JSON object.")
        }
        return object.compactMapValues { value in
            switch value {
            case let string as String: string
            case let number as NSNumber: number.stringValue
            default: nil
            }
        }
    }

    var resolvedDataDir: String {
        get throws { try setting(dataDir, env: "GATEHOUSE_DATA_DIR", key: "data_dir", default: "./gatehouse-data")! }
    }

    func databaseURL() throws -> DatabaseURL {
        if let url = try setting(database, env: "GATEHOUSE_DATABASE_URL", key: "database_url") {
            return try DatabaseURL(parsing: url)
        }
        return .sqlite(path: (try resolvedDataDir as NSString).appendingPathComponent("gatehouse.sqlite"))
    }

    /// Bootstraps logging once and returns the root logger.
    func makeLogger() throws -> Logger {
        let levelName = try setting(logLevel, env: "GATEHOUSE_LOG_LEVEL", key: "log_level", default: "info")!
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError("Unknown log level \(levelName).")
        }
        let formatName = try setting(logFormat, env: "GATEHOUSE_LOG_FORMAT", key: "log_format", default: "text")!
        guard let format = LogFormat(rawValue: formatName.lowercased()) else {
            throw ValidationError("Unknown log format \(formatName); use text or json.")
        }
        format.bootstrap(level: level)
        return Logger(label: "gatehouse")
    }
}
