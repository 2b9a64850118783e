;; Top-level declarations of a Go file, one match per declared spec.
;; Only direct children of source_file: declarations inside bodies are locals
;; (see references.scm). Names are read from the captured node's `name`
;; fields in TS because a spec may declare several names (`var a, b int`).
;; Every pattern starts at source_file: analysis runs this query with
;; maxStartDepth 0, which spares the cursor a walk through every function body.

(source_file (package_clause (package_identifier) @package.name))

(source_file (function_declaration) @declaration.function)

(source_file (method_declaration) @declaration.method)

(source_file (type_declaration [(type_spec) (type_alias)] @declaration.type))

(source_file (var_declaration (var_spec) @declaration.variable))

(source_file (var_declaration (var_spec_list (var_spec) @declaration.variable)))

(source_file (const_declaration (const_spec) @declaration.const))
