;; Top-level declarations of a TypeScript file. Every pattern starts at
;; `program`, so analysis runs the query with maxStartDepth 0 and the cursor
;; never walks into function bodies. The declaration node is captured; a
;; declaration wrapped in `export_statement` is exported (checked in TS by
;; the node's parent). `export default function …` has no name: @declaration.default.

(program (function_declaration) @declaration.function)
(program (export_statement declaration: (function_declaration) @declaration.function))

(program (generator_function_declaration) @declaration.generator)
(program (export_statement declaration: (generator_function_declaration) @declaration.generator))

(program (function_signature) @declaration.overload)
(program (export_statement declaration: (function_signature) @declaration.overload))

(program (lexical_declaration (variable_declarator) @declaration.variable))
(program (export_statement declaration: (lexical_declaration (variable_declarator) @declaration.variable)))
(program (variable_declaration (variable_declarator) @declaration.variable))
(program (export_statement declaration: (variable_declaration (variable_declarator) @declaration.variable)))

(program (interface_declaration) @declaration.interface)
(program (export_statement declaration: (interface_declaration) @declaration.interface))

(program (type_alias_declaration) @declaration.alias)
(program (export_statement declaration: (type_alias_declaration) @declaration.alias))

(program (enum_declaration) @declaration.enum)
(program (export_statement declaration: (enum_declaration) @declaration.enum))

(program [(class_declaration) (abstract_class_declaration)] @declaration.class)
(program (export_statement declaration: [(class_declaration) (abstract_class_declaration)] @declaration.class))

(program (export_statement value: (_) @declaration.default))
