;; Names a fragment's body refers to: value identifiers (calls, reads) and
;; type names. Run on one declaration node; the analysis matches them against
;; the file's top-level declarations and imports (no scope analysis).

(identifier) @ref.value
(shorthand_property_identifier) @ref.value
(type_identifier) @ref.type
(nested_type_identifier module: (identifier) @ref.value)
