import Hummingbird
import TuikeStore

/// Builds `GET /api/v1/openapi.json` from the operations the routes registered.
enum OpenAPIDocument {
    static func build(operations: [APIOperation], version: String) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        for operation in operations {
            let entry = operationObject(operation)
            let method = operation.method.rawValue.lowercased()
            if let index = paths.firstIndex(where: { $0.0 == operation.path }) {
                paths[index].1.set(method, entry)
            } else {
                paths.append((operation.path, .object([(method, entry)])))
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Tuike API",
                "version": .string(version),
                "description": "Distribution (分销) and group-buying (拼团) engine. Amounts are integers in minor units (fen), rates in basis points, times RFC 3339 UTC. Errors are {\"error\": {\"code\", \"message\"}}. Any POST accepts an Idempotency-Key header.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": .object(Schemas.all),
            ],
        ]
    }

    private static func operationObject(_ operation: APIOperation) -> JSONValue {
        var object: JSONValue = [
            "summary": .string(operation.summary),
            "description": .string(operation.access.note),
            "tags": [.string(operation.tag)],
            "security": operation.access.security,
            "x-access": .string(operation.access.rawValue),
        ]
        if let roles = operation.consoleRoles { object.set("x-console-roles", .array(roles.sorted().map { .string($0) })) }
        var parameters = operation.parameters
        for name in pathParameters(operation.path) {
            parameters.insert(["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"]], at: 0)
        }
        if operation.method == .post {
            parameters.append(["name": "Idempotency-Key", "in": "header", "required": false, "schema": ["type": "string", "minLength": 1, "maxLength": 255]])
        }
        if !parameters.isEmpty { object.set("parameters", .array(parameters)) }
        if let request = operation.request {
            object.set("requestBody", ["required": true, "content": ["application/json": ["schema": request]]])
        }
        var responses: [(String, JSONValue)] = operation.responses.map { status, description, schema in
            var response: JSONValue = ["description": .string(description)]
            // A report that also answers as CSV (`Schemas.jsonOrCSV`) names both types.
            if let content = schema?["x-content"] {
                response.set("content", content)
            } else if let schema {
                response.set("content", ["application/json": ["schema": schema]])
            }
            return (String(status), response)
        }
        // Pages answer their own errors as pages; what the middleware refuses first (a bad
        // Idempotency-Key) is JSON everywhere.
        let error: JSONValue = ["schema": Schemas.ref("Error")]
        responses.append(operation.path.hasPrefix("/api/")
            ? ("default", ["description": "An error (docs/rules.md §10).", "content": ["application/json": error]])
            : ("default", ["description": "An error page, or an error (docs/rules.md §10) the middleware gave.",
                           "content": ["text/html": ["schema": Schemas.string], "application/json": error]]))
        object.set("responses", .object(responses))
        return object
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }
}

/// Schema building blocks and the shared component schemas.
enum Schemas {
    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
    static let string: JSONValue = ["type": "string"]
    /// A text of `range` characters, as the handler checks it (after trimming, where it trims).
    static func text(_ range: ClosedRange<Int>, _ description: String? = nil) -> JSONValue {
        var schema: JSONValue = ["type": "string", "minLength": .int(Int64(range.lowerBound)), "maxLength": .int(Int64(range.upperBound))]
        if let description { schema.set("description", .string(description)) }
        return schema
    }
    /// A name or title: at most `maxLength` characters, not only spaces (the handler trims it and
    /// refuses what is left empty).
    static func name(maxLength: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .int(Int64(maxLength)), "pattern": "\\S"]
    }
    /// What `Phone.normalize` accepts: a mainland number, maybe after +86 or 0086, or + and 8 to 15
    /// digits not starting with 86; spaces, dashes and parentheses anywhere. (It refuses a few
    /// odd forms the handler takes, such as a second + after +86.)
    static let phone: JSONValue = [
        "type": "string",
        "pattern": .string(#"^[ ()-]*(?:(?:(?:\+[ ()-]*8[ ()-]*6|0[ ()-]*0[ ()-]*8[ ()-]*6)[ ()-]*)?1(?:[ ()-]*[0-9]){10}"#
            + #"|\+(?![ ()-]*8[ ()-]*6)(?:[ ()-]*[0-9]){8,15})[ ()-]*$"#),
        "description": .string("A mainland mobile number (11 digits starting with 1, optionally after +86 or 0086) or an international one"
            + " (+ and 8 to 15 digits). Spaces, dashes and parentheses are ignored."),
    ]
    /// An absolute http(s) URL with a host, as `LinksController.validateTarget` checks it.
    static func webURL(_ description: String) -> JSONValue {
        ["type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+", "maxLength": 2_000,
         "description": .string(description)]
    }
    /// A link's code as tracking looks it up: longer codes are unknown links.
    static let linkCode: JSONValue = ["type": "string", "minLength": 1, "maxLength": .int(Int64(TrackingController.maxCodeLength))]
    /// A visitor id as `/r/{code}` makes it and integrators may send their own.
    /// The integrator's own visitor id: 1 to 128 printable ASCII characters.
    static let visitorID: JSONValue = ["type": "string", "pattern": "^[ -~]{1,128}$"]
    /// Where a buyer or visitor came from, as integrators may tell it, for the risk signals.
    static let originFields: [(String, JSONValue)] = [
        ("ip", ["type": "string", "maxLength": 45, "description": "The buyer's IPv4 or IPv6 address, for risk signals (kept as a keyed hash)."] as JSONValue),
        ("device_id", text(1...RiskOrigin.maxDeviceLength, "The buyer's device id or fingerprint, for risk signals (kept as a keyed hash).")),
    ]
    /// A visitor id from a browser (`/tuike.js`), as Tuike makes them.
    static let browserVisitorID: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"]
    static let integer: JSONValue = ["type": "integer", "format": "int64"]
    /// An integer the handler accepts only within `range` (or from `minimum` up).
    static func integer(in range: ClosedRange<Int64>, _ description: String? = nil) -> JSONValue {
        var schema = integer(atLeast: range.lowerBound, description)
        schema.set("maximum", .int(range.upperBound))
        return schema
    }
    static func integer(atLeast minimum: Int64, _ description: String? = nil) -> JSONValue {
        var schema: JSONValue = ["type": "integer", "format": "int64", "minimum": .int(minimum)]
        if let description { schema.set("description", .string(description)) }
        return schema
    }
    static let boolean: JSONValue = ["type": "boolean"]
    static let time: JSONValue = ["type": "string", "format": "date-time"]
    static func money(_ description: String) -> JSONValue { ["type": "integer", "format": "int64", "description": .string(description)] }
    static func enumeration(_ values: [String]) -> JSONValue { ["type": "string", "enum": .array(values.map { .string($0) })] }
    static func nullable(_ schema: JSONValue) -> JSONValue { ["oneOf": [schema, ["type": "null"]]] }
    static func array(_ items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil, _ description: String? = nil) -> JSONValue {
        var schema: JSONValue = ["type": "array", "items": items]
        if let minItems { schema.set("minItems", .int(Int64(minItems))) }
        if let maxItems { schema.set("maxItems", .int(Int64(maxItems))) }
        if let description { schema.set("description", .string(description)) }
        return schema
    }
    static func object(_ properties: [(String, JSONValue)], required: [String] = [], additional: Bool = false) -> JSONValue {
        var schema: JSONValue = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema.set("required", .array(required.map { .string($0) })) }
        if !additional { schema.set("additionalProperties", false) }
        return schema
    }
    static func page(of item: String) -> JSONValue {
        object([("data", array(ref(item))), ("has_more", boolean), ("next_cursor", nullable(string))],
               required: ["data", "has_more", "next_cursor"])
    }
    /// A report's answer: `schema` as JSON, or with `?format=csv` a CSV file.
    static func jsonOrCSV(_ schema: JSONValue) -> JSONValue {
        ["x-content": ["application/json": ["schema": schema], "text/csv": ["schema": string]]]
    }

    static func query(_ name: String, _ schema: JSONValue, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "query", "required": false, "schema": schema, "description": .string(description)]
    }
    static let pagination: [JSONValue] = [
        query("limit", ["type": "integer", "minimum": 1, "maximum": 100, "default": 20], "Page size."),
        query("cursor", string, "The `next_cursor` of the previous page."),
    ]

    static let all: [(String, JSONValue)] = [
        ("Error", object([("error", object([("code", string), ("message", string)], required: ["code", "message"]))], required: ["error"])),
        ("Health", object([("status", enumeration(["ok"]))], required: ["status"])),
        ("Product", ProductsController.productSchema),
        ("ProductPage", page(of: "Product")),
        ("ProgramSettings", ProgramController.settingsSchema),
        ("ClockNow", object([("now", time), ("offset_seconds", integer)], required: ["now"])),
        ("Promoter", PromoterView.schema),
        ("Rank", RankView.schema),
        ("TeamMember", PromotersController.teamMemberSchema),
        ("Badge", IncentivesController.BadgeView.schema),
        ("PointsRule", IncentivesController.PointsView.schema),
        ("AgreementAcceptance", PromotersController.acceptanceSchema),
        ("AuditEntry", PromotersController.auditSchema),
        ("Agreement", ApplicationsController.agreementSchema),
        ("Link", LinkView.schema),
        ("LinkPage", page(of: "Link")),
        ("Stats", StatsView.schema),
        ("Media", MediaController.MediaView.schema),
        ("MediaPage", page(of: "Media")),
        ("PosterTemplate", PosterTemplateView.schema),
        ("CopyTemplate", CopyTemplateView.schema),
        ("Materials", MaterialCenter.schema),
        ("Order", OrderView.schema),
        ("RefundResult", OrdersController.RefundResult.schema),
        ("AfterSale", AfterSaleView.schema),
        ("RiskRule", RiskController.RuleView.schema),
        ("RiskCase", RiskCaseView.schema),
        ("Buyer", BuyerView.schema),
        ("Video", VideoView.schema),
        ("Notification", NotificationsController.View.schema),
        ("CampaignRule", CommissionsController.CampaignView.schema),
        ("Coupon", CouponsController.CouponView.schema),
        ("Event", EventsController.EventView.schema),
        ("EventPage", page(of: "Event")),
        ("WebhookEndpoint", EventsController.EndpointView.schema),
        ("Commission", CommissionView.schema),
        ("CommissionPage", page(of: "Commission")),
        ("CommissionRule", CommissionView.ruleSchema),
        ("Balance", CommissionView.balanceSchema),
        ("TrialBalance", CommissionView.trialBalanceSchema),
        ("LedgerCheck", CommissionsController.LedgerCheckView.schema),
        ("Settlement", SettlementsController.BatchView.schema),
        ("SettlementPage", page(of: "Settlement")),
        ("Statement", SettlementsController.StatementView.schema),
        ("StatementPage", page(of: "Statement")),
        ("Withdrawal", WithdrawalView.schema),
        ("WithdrawalPage", page(of: "Withdrawal")),
        ("Appeal", AppealsController.AppealView.schema),
        ("AppealPage", page(of: "Appeal")),
        ("Adjustment", AppealsController.AdjustmentView.schema),
        ("AdjustmentPage", page(of: "Adjustment")),
        ("Reconciliation", ReportsController.ReconciliationView.schema),
        ("GroupCampaign", GroupCampaignsController.CampaignView.schema),
        ("GroupCampaignPage", page(of: "GroupCampaign")),
        ("GroupCampaignMetrics", GroupCampaignsController.MetricsView.schema),
        ("Group", GroupView.schema),
        ("GroupRefund", GroupsController.RefundView.schema),
    ]
}
