; Top-level items of a Rust file that a CFD may name or a signature may use
; (seeded from tree-sitter-rust's queries/tags.scm). Items inside inline
; `mod { }` blocks and trait impls are not fragments.

(source_file (function_item name: (identifier) @name) @function)

(source_file
  (impl_item
    !trait
    type: (_) @impl_type
    body: (declaration_list (function_item name: (identifier) @name) @method)))

(source_file (const_item name: (identifier) @name) @const)
(source_file (static_item name: (identifier) @name) @static)
(source_file (struct_item name: (type_identifier) @name) @struct)
(source_file (enum_item name: (type_identifier) @name) @enum)
(source_file (type_item name: (type_identifier) @name) @alias)
(source_file (use_declaration) @use)
(source_file (mod_item name: (identifier) @name) @mod)
