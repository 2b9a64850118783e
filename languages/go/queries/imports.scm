;; Import specs of a Go file: one match per imported path.
;; @import.name is the optional alias (a package_identifier, `.` or `_`).
;; Patterns start at source_file: analysis runs this query with maxStartDepth 0,
;; which spares the cursor a walk through every function body.

(source_file
  (import_declaration
    (import_spec
      name: (_)? @import.name
      path: (_) @import.path) @import))

(source_file
  (import_declaration
    (import_spec_list
      (import_spec
        name: (_)? @import.name
        path: (_) @import.path) @import)))
