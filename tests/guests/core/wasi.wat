;; wasi: what WASI gives a core_wire module. It writes a line to stdout (fd_write), then
;; replies {"ok": [env, prestat]}: how many environment variables it sees
;; (environ_sizes_get), and the errno of fd_prestat_get(3) (8, EBADF: no preopened
;; directory, so no files).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wire_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wire_handle") (param i32 i32) (result i64)
    ;; iovec at 64: {ptr 16, len 20}
    (i32.store (i32.const 64) (i32.const 16))
    (i32.store (i32.const 68) (i32.const 20))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72)))
    (drop (call $environ_sizes_get (i32.const 80) (i32.const 84)))
    (i32.store8 (i32.const 103) (i32.add (i32.const 48) (i32.load (i32.const 80))))
    (i32.store8 (i32.const 105) (i32.add (i32.const 48) (call $fd_prestat_get (i32.const 3) (i32.const 88))))
    (i64.or (i64.shl (i64.const 96) (i64.const 32)) (i64.const 12)))
  (data (i32.const 16) "hello from a module\n")
  (data (i32.const 96) "{\"ok\":[0,0]}")
)
