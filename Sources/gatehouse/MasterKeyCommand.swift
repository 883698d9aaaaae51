import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStorage

struct MasterKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master-key", abstract: "Manage the master key.", subcommands: [RotateMasterKey.self])
}

struct RotateMasterKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Re-wrap every data key and re-seal every signing key under a new master key.",
        discussion: """
            Reads the current key as `serve` does and the new one from --new-key-file (32 bytes, base64; \
            `openssl rand -base64 32`). Everything is re-sealed in one transaction: it all happens or \
            nothing does. Stop the servers first; afterwards they start with the new key only (a server \
            given the old key refuses to start). With the development key (no key configured), its file \
            is replaced by the new key. Pagination cursors and access tokens minted from API keys \
            (`/auth/token`) issued before the rotation stop working; sessions and OAuth tokens do not.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "File holding the new master key (base64 of 32 bytes).")
    var newKeyFile: String

    func run() async throws {
        let logger = try common.makeLogger()
        let current = try MasterKeySource.load(options: common, logger: logger)
        let new = try MasterKeySource.read(newKeyFile)
        let rotation = try await StoreRuntime.withStore(try common.databaseURL(), logger: logger) { store in
            try await store.migrator.migrate(logger: logger)
            return try await store.keyMaterial.rotateMasterKey(from: current, to: new)
        }
        print("""
            Re-wrapped \(rotation.dataKeys) data key(s) and re-sealed \(rotation.signingKeys) signing key(s).
            Master key \(current.fingerprint) → \(new.fingerprint).
            """)
        if let developmentKey = try MasterKeySource.developmentKeyPath(options: common) {
            try Data((try String(contentsOfFile: newKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) + "\n").utf8)
                .write(to: URL(fileURLWithPath: developmentKey), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: developmentKey)
            print("Replaced the development key file \(developmentKey) with the new key.")
        } else {
            print("Start the servers with the new key (GATEHOUSE_MASTER_KEY or --master-key-file) only.")
        }
    }
}
