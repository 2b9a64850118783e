; Names a fragment's body refers to, for dependency inference (deps.ts).

; free function calls: f(x), a::b::f(x)
(call_expression function: (identifier) @call)
(call_expression function: (scoped_identifier) @scoped)

; method calls: x.m(y)
(call_expression function: (field_expression field: (field_identifier) @method))

; plain identifiers (consts, statics) and type names
(identifier) @ident
(type_identifier) @type

; first segments of paths: crate names (serde::…), modules
(scoped_identifier path: (identifier) @path)
(scoped_type_identifier path: (identifier) @path)
