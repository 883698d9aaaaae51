import Foundation
import GatehouseCore
import Logging

/// Finds the master key: `GATEHOUSE_MASTER_KEY` (base64), else a key file, else the
/// development key in the data folder — generated (mode 0600) on first use, with a loud
/// warning, because a key sitting next to the data protects nothing in production.
enum MasterKeySource {
    static func load(options: CommonOptions, logger: Logger) throws -> MasterKey {
        if let inline = ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"], !inline.isEmpty {
            guard let key = MasterKey(base64: inline) else {
                throw MasterKeyError("GATEHOUSE_MASTER_KEY must be 32 bytes, base64-encoded.")
            }
            return key
        }
        if let path = try options.setting(
            options.masterKeyFile, env: "GATEHOUSE_MASTER_KEY_FILE", key: "master_key_file")
        {
            return try read(path)
        }
        let path = (try options.resolvedDataDir as NSString).appendingPathComponent("master.key")
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let created = FileManager.default.createFile(
                atPath: path, contents: Data((MasterKey.generateBase64() + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
            guard created else { throw MasterKeyError("Could not write a master key to \(path).") }
        }
        logger.warning(
            """
            ************************************************************************
            USING A DEVELOPMENT MASTER KEY from \(path).
            It lives beside the data it protects: fine for development, never for
            production. Set GATEHOUSE_MASTER_KEY or --master-key-file instead.
            ************************************************************************
            """)
        return try read(path)
    }

    /// The development key file, when no key is configured (the file Gatehouse manages).
    static func developmentKeyPath(options: CommonOptions) throws -> String? {
        if let inline = ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"], !inline.isEmpty { return nil }
        if try options.setting(options.masterKeyFile, env: "GATEHOUSE_MASTER_KEY_FILE", key: "master_key_file") != nil {
            return nil
        }
        return (try options.resolvedDataDir as NSString).appendingPathComponent("master.key")
    }

    static func read(_ path: String) throws -> MasterKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw MasterKeyError("Cannot read the master key file \(path).")
        }
        guard let key = MasterKey(base64: text) else {
            throw MasterKeyError("The master key file \(path) must hold 32 bytes, base64-encoded.")
        }
        return key
    }
}

struct MasterKeyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
