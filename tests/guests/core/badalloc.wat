;; badalloc: wire_alloc hands out a buffer past the end of its memory.
(module
  (memory (export "memory") 1)
  (func (export "wire_alloc") (param i32) (result i32) (i32.const 0xfffffff0))
  (func (export "wire_handle") (param i32 i32) (result i64) unreachable)
)
