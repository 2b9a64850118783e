;; Import statements (and re-exports with a source) of a file: one match per
;; statement. @import.path is the module specifier without quotes.
;; Patterns start at `program` (run with maxStartDepth 0).

(program
  (import_statement
    source: (string (string_fragment) @import.path)) @import)

(program
  (export_statement
    source: (string (string_fragment) @import.path)) @import)
