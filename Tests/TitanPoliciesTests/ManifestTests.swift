import Testing
import TitanPolicies

@Suite("Manifest and interface hash")
struct ManifestTests {
    static let add = MethodDescriptor(
        name: "add",
        parameters: [ParameterDescriptor(label: nil, name: "a", type: "Int"), ParameterDescriptor(label: nil, name: "b", type: "Int")],
        resultType: "Int"
    )
    static let put = MethodDescriptor(
        name: "put",
        parameters: [ParameterDescriptor(label: "key", name: "key", type: "String"), ParameterDescriptor(label: "value", name: "value", type: "[String:Int]?")]
    )
    static let putList = MethodDescriptor(
        name: "put",
        parameters: [ParameterDescriptor(label: "key", name: "key", type: "String"), ParameterDescriptor(label: "value", name: "value", type: "[Int]")]
    )
    static let manifest = ServiceManifest(service: "Calc", methods: [add, put, putList])

    @Test func theHashIsFNV1a64() {
        #expect(InterfaceHash(of: "").rawValue == 0xcbf2_9ce4_8422_2325)
        #expect(InterfaceHash(of: "a").rawValue == 0xaf63_dc4c_8601_ec8c)
        #expect(InterfaceHash(of: "foobar").rawValue == 0x8594_4171_f739_67e8)
        #expect(InterfaceHash(rawValue: 0xab).description == "00000000000000ab")
    }

    @Test func canonicalTextHasOneSortedLinePerMethod() {
        #expect(Self.manifest.canonicalInterfaceText == """
            add(_:_:)(Int,Int)->Int
            put(key:value:)(String,[Int])->()
            put(key:value:)(String,[String:Int]?)->()
            """)
    }

    @Test func theHashIgnoresDeclarationOrderPoliciesAndTheServiceName() {
        var reordered = ServiceManifest(service: "Other", methods: [Self.putList, Self.put, Self.add])
        reordered.methods[0].policies = MethodPolicies(timeout: TimeoutPolicy(.seconds(1)))
        #expect(reordered.interfaceHash == Self.manifest.interfaceHash)
    }

    @Test func theHashChangesWithATypeALabelOrAMethod() {
        var changed = Self.manifest
        changed.methods[0].resultType = "Int64"
        #expect(changed.interfaceHash != Self.manifest.interfaceHash)
        changed = Self.manifest
        changed.methods[0].parameters[0].label = "lhs"
        #expect(changed.interfaceHash != Self.manifest.interfaceHash)
        changed = Self.manifest
        changed.methods.removeLast()
        #expect(changed.interfaceHash != Self.manifest.interfaceHash)
    }

    @Test func differingMethodsNamesWhatChanged() {
        var other = Self.manifest
        other.methods[0].resultType = "Double"
        other.methods.append(MethodDescriptor(name: "reset"))
        #expect(Self.manifest.differingMethods(from: other) == ["add(_:_:)", "reset()"])
        #expect(Self.manifest.differingMethods(from: Self.manifest).isEmpty)
    }

    @Test func lookupByKeyIsAmbiguousForOverloads() {
        #expect(Self.manifest.index(ofKey: "add(_:_:)") == 0)
        #expect(Self.manifest.index(ofKey: "put(key:value:)") == nil)
        #expect(Self.manifest.method(forKey: "nope()") == nil)
        #expect(Self.manifest.method(at: 2) == Self.putList)
        #expect(Self.manifest.method(at: 3) == nil)
    }

    // Demangled with `swift demangle` from a real distributed actor.
    @Test func demangledTargetsFindTheirTableEntryEvenForOverloads() throws {
        let add = try #require(DemangledTarget("distributed thunk m.Calc.add(Swift.Int, Swift.Int) async throws -> Swift.Int"))
        #expect(add.key == "add(_:_:)")
        #expect(Self.manifest.dispatchIndex(for: add) == 0)
        let put = try #require(DemangledTarget("distributed thunk m.Calc.put(key: Swift.String, value: [Swift.String : Swift.Int]?) async throws -> ()"))
        #expect(put.labels == ["key", "value"])
        #expect(put.parameterTypes == ["Swift.String", "[Swift.String : Swift.Int]?"])
        #expect(Self.manifest.dispatchIndex(for: put) == 1)
        let putList = try #require(DemangledTarget("distributed thunk m.Calc.put(key: Swift.String, value: [Swift.Int]) async throws -> ()"))
        #expect(Self.manifest.dispatchIndex(for: putList) == 2)
    }

    @Test func aTargetWithOtherTypesOrAGenericOneHasNoEntry() throws {
        let double = try #require(DemangledTarget("distributed thunk m.Calc.add(Swift.Double, Swift.Double) async throws -> Swift.Double"))
        #expect(Self.manifest.dispatchIndex(for: double) == nil)
        let generic = try #require(DemangledTarget("distributed thunk m.Calc.gen<A where A: Swift.Decodable, A: Swift.Encodable>(A) async throws -> A"))
        #expect(generic.isGeneric)
        #expect(generic.name == "gen")
        #expect(generic.parameterTypes == ["A"])
        #expect(DemangledTarget("m.Calc.add(Swift.Int) -> Swift.Int") == nil)
    }

    @Test func functionTypesInParametersDoNotConfuseTheReader() throws {
        let target = try #require(DemangledTarget("distributed thunk m.S.run(body: (Swift.Int) -> Swift.String, n: Swift.Int) async throws -> [Swift.Int]"))
        #expect(target.key == "run(body:n:)")
        #expect(target.parameterTypes == ["(Swift.Int) -> Swift.String", "Swift.Int"])
        #expect(target.resultType == "[Swift.Int]")
    }
}

@Suite("Policy keys")
struct PolicyKeyTests {
    struct Query: Codable {
        var filters: [String: Int]
        var page: Int
        var name: String?
    }

    @Test func stringsAndNumbersAreThemselves() {
        #expect(PolicyKeyText.of("ada") == "ada")
        #expect(PolicyKeyText.of(42) == "42")
        #expect(PolicyKeyText.of(true) == "true")
    }

    @Test func structuredValuesRenderWithSortedKeys() {
        let a = Query(filters: ["b": 2, "a": 1, "c": 3], page: 1, name: nil)
        let b = Query(filters: ["c": 3, "a": 1, "b": 2], page: 1, name: nil)
        #expect(PolicyKeyText.of(a) == #"{"filters":{"a":1,"b":2,"c":3},"page":1}"#)
        #expect(PolicyKeyText.of(a) == PolicyKeyText.of(b))
        #expect(PolicyKeyText.of(["x", "y\""]) == #"["x","y\""]"#)
    }

    @Test func keyTemplatesNameArguments() throws {
        #expect(try KeyTemplate(parsing: "userID").segments == [.argument("userID")])
        #expect(try KeyTemplate(parsing: "user:{id}:{org}").segments == [.literal("user:"), .argument("id"), .literal(":"), .argument("org")])
        #expect(try KeyTemplate(parsing: "{id}").arguments == ["id"])
        #expect(throws: KeyTemplate.ParseError.unclosedBrace) { try KeyTemplate(parsing: "user:{id") }
        #expect(throws: KeyTemplate.ParseError.emptyPlaceholder) { try KeyTemplate(parsing: "user:{}") }
    }

    @Test func joinedKeysDoNotCollide() {
        #expect(PolicyKeyText.joined(["a,b", "c"]) != PolicyKeyText.joined(["a", "b,c"]))
        #expect(PolicyKeyText.joined(["ab"]) == "2:ab")
        #expect(PolicyKeyText.joined([]) == "")
    }
}

@Suite("Type text")
struct TypeTextTests {
    @Test func demangledGenericSpellingsMatchTheSugarInSource() {
        #expect(TypeText.unqualified("Swift.Optional<Swift.Int>") == "Int?")
        #expect(TypeText.unqualified("Swift.Array<Swift.Dictionary<Swift.String, M.Box.Item>>") == "[[String:Item]]")
        #expect(TypeText.unqualified("Swift.Optional<Swift.Array<Swift.Optional<Swift.Int>>>") == "[Int?]?")
        #expect(TypeText.unqualified("Swift.Optional<(Swift.Int) -> Swift.Int>") == "((Int)->Int)?")
        #expect(TypeText.unqualified("[String: Int]?") == "[String:Int]?")
        #expect(TypeText.normalized("Optional<Int>") == TypeText.normalized("Int?"))
        #expect(TypeText.normalized("MyOptional<Int>") == "MyOptional<Int>")
    }
}
