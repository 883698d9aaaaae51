import GatehouseCore

/// `GET /openapi.json`: an OpenAPI 3.1 description of every route, built from
/// ``operations`` and the schemas below.
enum OpenAPIDocument {
    static let document: JSONValue = build()

    static func build() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item = paths[operation.path]?.objectValue ?? [:]
            item[operation.method.lowercased()] = .object(describe(operation))
            paths[operation.path] = .object(item)
        }
        return .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "Gatehouse",
                "version": .string(GatehouseVersion.current),
                "description": "Multi-tenant access platform: tenants, API keys, tokens, scopes, audit, vault.",
            ]),
            "servers": .array([.object(["url": "http://127.0.0.1:8080"])]),
            "paths": .object(paths),
            "components": .object([
                "schemas": .object(OpenAPISchemas.all.merging(OpenAPISchemas.vaultAndJobs) { first, _ in first }
                    .merging(OpenAPISchemas.webhooks) { first, _ in first }),
                "securitySchemes": .object([
                    "bearer": .object(["type": "http", "scheme": "bearer"]),
                    "apiKey": .object(["type": "apiKey", "in": "header", "name": "X-Api-Key"]),
                ]),
                "responses": .object([
                    "Error": .object([
                        "description": "An error in the standard envelope",
                        "content": jsonContent("Error"),
                    ])
                ]),
            ]),
        ])
    }

    static func describe(_ operation: OpenAPIOperation) -> [String: JSONValue] {
        var parameters: [JSONValue] = pathParameters(operation.path).map { name in
            .object([
                "name": .string(name), "in": "path", "required": true,
                "schema": .object(["type": "string"]),
            ])
        }
        if operation.isList {
            parameters += [
                queryParameter("limit", ["type": "integer", "minimum": 1, "maximum": 1000]),
                queryParameter("cursor", ["type": "string"]),
                queryParameter("offset", ["type": "integer", "minimum": 0]),
            ]
        }
        var responses: [String: JSONValue] = [
            "default": .object(["$ref": "#/components/responses/Error"])
        ]
        var success: [String: JSONValue] = ["description": "Success"]
        if let schema = operation.success.schema { success["content"] = jsonContent(schema) }
        responses[String(operation.success.status)] = .object(success)
        var result: [String: JSONValue] = [
            "summary": .string(operation.summary),
            "operationId": .string(operationID(operation)),
            "tags": .array([.string(operation.tag)]),
            "parameters": .array(parameters),
            "responses": .object(responses),
        ]
        switch operation.access {
        case .open: result["security"] = .array([])
        case .admin, .scoped:
            result["security"] = .array([.object(["bearer": .array([])]), .object(["apiKey": .array([])])])
        }
        if operation.requestSchema == "Form" {
            result["requestBody"] = .object([
                "required": true,
                "content": .object(["application/x-www-form-urlencoded": .object(["schema": .object(["type": "object"])])]),
            ])
        } else if let schema = operation.requestSchema {
            result["requestBody"] = .object(["required": true, "content": jsonContent(schema)])
        }
        return result
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }

    static func queryParameter(_ name: String, _ schema: [String: JSONValue]) -> JSONValue {
        .object(["name": .string(name), "in": "query", "required": false, "schema": .object(schema)])
    }

    static func jsonContent(_ schema: String) -> JSONValue {
        .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/\(schema)")])])])
    }

    static func operationID(_ operation: OpenAPIOperation) -> String {
        let words = operation.path.split(separator: "/").map { segment -> String in
            let cleaned = segment.filter { $0.isLetter || $0.isNumber }
            return cleaned.prefix(1).uppercased() + cleaned.dropFirst()
        }
        return operation.method.lowercased() + words.joined()
    }
}

