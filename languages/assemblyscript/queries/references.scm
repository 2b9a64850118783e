;; What a declaration refers to, and what it binds locally.
;;
;; Locals are not scoped: a name bound anywhere inside a declaration hides the
;; module-level name of the same spelling in the whole declaration (cheaper
;; than a scope tree; may miss a dependency shadowed in only one block).

;; ---- names bound inside a declaration ----

(required_parameter pattern: (identifier) @local.definition)
(optional_parameter pattern: (identifier) @local.definition)
(required_parameter pattern: (rest_pattern (identifier) @local.definition))
(variable_declarator name: (identifier) @local.definition)
(type_parameter name: (type_identifier) @local.definition)
(catch_clause parameter: (identifier) @local.definition)

;; ---- names used ----

(identifier) @reference.value
(type_identifier) @reference.type
