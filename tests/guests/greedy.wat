;; greedy: imports wire-test:greedy/secrets (greedy.wit), which no host grants.
(module
  (import "wire-test:greedy/secrets" "read" (func $read (result i32)))
  (memory (export "memory") 1)
  (func (export "peek") (result i32)
    (call $read))
)
