;; Module specifiers of a file: `import … from "x"`, `import "x"`,
;; `export … from "x"`. The clause (names) is read in TS from the statement.

(program (import_statement source: (string (string_fragment) @source)) @import)
(program (export_statement source: (string (string_fragment) @source)) @reexport)

;; Local export lists: `export { a, b as c }` (no source).
(program (export_statement (export_clause (export_specifier) @specifier)) @exportlist)
