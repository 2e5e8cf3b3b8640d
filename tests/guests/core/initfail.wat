;; initfail: wire_init refuses: {"error": {"kind": "other", "message": "no configuration"}}.
(module
  (memory (export "memory") 1)
  (func (export "wire_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wire_init") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 55)))
  (func (export "wire_handle") (param i32 i32) (result i64) unreachable)
  (data (i32.const 16) "{\"error\":{\"kind\":\"other\",\"message\":\"no configuration\"}}")
)
