;; Top-level declarations of an AssemblyScript file (tree-sitter-typescript's
;; `typescript` grammar), one match per declaration. @export marks the
;; `export` wrapper when there is one. Declarations inside bodies are locals
;; (see references.scm). Patterns start at `program`: analysis runs this query
;; with maxStartDepth 0, which spares the cursor a walk through every body.

(program (function_declaration) @declaration.function)
(program (export_statement declaration: (function_declaration) @declaration.function) @export)

(program (class_declaration) @declaration.class)
(program (export_statement declaration: (class_declaration) @declaration.class) @export)

(program (lexical_declaration) @declaration.lexical)
(program (export_statement declaration: (lexical_declaration) @declaration.lexical) @export)

(program (variable_declaration) @declaration.lexical)
(program (export_statement declaration: (variable_declaration) @declaration.lexical) @export)

(program (interface_declaration) @declaration.interface)
(program (export_statement declaration: (interface_declaration) @declaration.interface) @export)

(program (type_alias_declaration) @declaration.alias)
(program (export_statement declaration: (type_alias_declaration) @declaration.alias) @export)

(program (enum_declaration) @declaration.enum)
(program (export_statement declaration: (enum_declaration) @declaration.enum) @export)

(program (ambient_declaration (function_signature) @declaration.ambient))
(program (export_statement declaration: (ambient_declaration (function_signature) @declaration.ambient)) @export)
