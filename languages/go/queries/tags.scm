;; Seeded from tree-sitter-go 0.25.0 queries/tags.scm (MIT). Symbol tags for
;; editors and indexers; dcm's own analysis uses declarations.scm and references.scm.
;; The upstream `#strip!` / `#set-adjacent!` doc-comment directives are left out:
;; the node binding rejects directives it does not know, and dcm keeps every
;; query here loadable (test/unit/go-analysis checks that).

(
  (comment)* @doc
  .
  (function_declaration
    name: (identifier) @name) @definition.function
)

(
  (comment)* @doc
  .
  (method_declaration
    name: (field_identifier) @name) @definition.method
)

(call_expression
  function: [
    (identifier) @name
    (parenthesized_expression (identifier) @name)
    (selector_expression field: (field_identifier) @name)
    (parenthesized_expression (selector_expression field: (field_identifier) @name))
  ]) @reference.call

(type_spec
  name: (type_identifier) @name) @definition.type

(type_identifier) @name @reference.type

(package_clause "package" (package_identifier) @name)

(type_declaration (type_spec name: (type_identifier) @name type: (interface_type)))

(type_declaration (type_spec name: (type_identifier) @name type: (struct_type)))

(import_declaration (import_spec) @name)

(var_declaration (var_spec name: (identifier) @name))

(const_declaration (const_spec name: (identifier) @name))
