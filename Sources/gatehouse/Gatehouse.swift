import ArgumentParser

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Multi-tenant access platform for SaaS APIs.",
        subcommands: [Serve.self, Migrate.self, Bootstrap.self, MasterKeyCommand.self],
        defaultSubcommand: Serve.self)
}
