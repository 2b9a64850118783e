;; What a declaration refers to, and what it binds locally.
;;
;; Locals are not scoped: a name bound anywhere inside a declaration hides the
;; package-level name of the same spelling in the whole declaration. This is
;; cheaper than a scope tree and errs on the side of missing a dependency that
;; is shadowed in one block but used in another (rare in practice).

;; ---- names bound inside a declaration ----

(parameter_declaration name: (identifier) @local.definition)
(variadic_parameter_declaration name: (identifier) @local.definition)
(type_parameter_declaration name: (identifier) @local.definition)
(short_var_declaration left: (expression_list (identifier) @local.definition))
(range_clause left: (expression_list (identifier) @local.definition))
(receive_statement left: (expression_list (identifier) @local.definition))
(type_switch_statement alias: (expression_list (identifier) @local.definition))
(var_spec name: (identifier) @local.definition)
;; const_spec's `name` field also holds the commas, so match identifier children.
(const_spec (identifier) @local.definition)
(type_spec name: (type_identifier) @local.definition)
(type_alias name: (type_identifier) @local.definition)

;; ---- locals whose type is written down, so `x.M()` can find M on x's type ----

(parameter_declaration
  name: (identifier) @local.typed.name
  type: (_) @local.typed.type)

(variadic_parameter_declaration
  name: (identifier) @local.typed.name
  type: (_) @local.typed.type)

(var_spec
  name: (identifier) @local.typed.name
  type: (_) @local.typed.type)

(short_var_declaration
  left: (expression_list . (identifier) @local.typed.name)
  right: (expression_list . [
    (composite_literal type: (_) @local.typed.type)
    (unary_expression
      operator: "&"
      operand: (composite_literal type: (_) @local.typed.type))
  ]))

;; ---- references ----

(identifier) @reference.identifier

(type_identifier) @reference.type

(qualified_type
  package: (package_identifier) @reference.package
  name: (type_identifier) @reference.name)

(selector_expression
  operand: (_) @reference.operand
  field: (field_identifier) @reference.field)

;; A selector in call position: `x.M(...)` is most likely a method call.
(call_expression
  function: (selector_expression
    field: (field_identifier) @reference.call.method))

;; Keys of a struct literal (`Employee{Name: "x"}`) are field names, not
;; references; map literal keys are expressions and stay references.
(composite_literal
  type: [(type_identifier) (qualified_type) (generic_type) (struct_type)]
  body: (literal_value
    (keyed_element . (literal_element (identifier) @reference.field_key))))
