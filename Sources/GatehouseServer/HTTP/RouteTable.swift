import Hummingbird

/// The registered routes as path templates, to tell "no such path" (404) from "no such
/// method on this path" (405) and to compare with the OpenAPI document.
struct RouteTable: Sendable {
    struct Route: Sendable, Hashable {
        let method: String
        let template: String
    }

    let routes: [Route]
    private let parsed: [(route: Route, components: [Substring])]

    init(routes: [Route]) {
        self.routes = routes
        self.parsed = routes.map { ($0, $0.template.split(separator: "/")) }
    }

    init(router: Router<GatehouseContext>) {
        // A recursive capture (`**`) is documented as one `{path}` parameter.
        self.init(routes: router.routes.map {
            Route(method: $0.method.rawValue, template: $0.path.description.replacingOccurrences(of: "/**", with: "/{path}"))
        })
    }

    /// The methods registered for paths matching `path`.
    func allowedMethods(for path: String) -> [String] {
        let components = path.split(separator: "/")
        var methods = Set<String>()
        for (route, template) in parsed where Self.matches(template, components) || Self.matchesPrefix(template, components) {
            methods.insert(route.method)
        }
        return methods.sorted()
    }

    /// A template ending in `{path}` (a recursive capture) matches any longer path.
    static func matchesPrefix(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.last == "{path}", path.count >= template.count else { return false }
        return matches(Array(template.dropLast()), Array(path.prefix(template.count - 1)))
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.count == path.count else { return false }
        for (expected, actual) in zip(template, path) where !(expected.hasPrefix("{") || expected == "*") {
            if expected != actual { return false }
        }
        return true
    }
}
