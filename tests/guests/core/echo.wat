;; echo: replies {"ok": <the request>}, so its output is {"op": ..., "input": ...}.
;; wire_alloc keeps 6 bytes free before each buffer and 1 after: the reply is the request
;; wrapped in place.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "wire_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $need i32)
    (local.set $ptr (i32.add (global.get $heap) (i32.const 8)))
    (global.set $heap (i32.add (local.get $ptr) (i32.add (local.get $len) (i32.const 8))))
    (local.set $need (i32.sub (global.get $heap) (i32.shl (memory.size) (i32.const 16))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $need) (i32.const 16)) (i32.const 1)))
                        (i32.const -1))
              (then unreachable))))
    (local.get $ptr))
  ;; the host has read the reply: start the heap over
  (func (export "wire_free") (param i32 i32)
    (global.set $heap (i32.const 1024)))
  (func (export "wire_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $start i32)
    (local.set $start (i32.sub (local.get $ptr) (i32.const 6)))
    (memory.copy (local.get $start) (i32.const 16) (i32.const 6)) ;; {"ok":
    (i32.store8 (i32.add (local.get $ptr) (local.get $len)) (i32.const 125)) ;; }
    (i64.or (i64.shl (i64.extend_i32_u (local.get $start)) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $len) (i32.const 7)))))
  (data (i32.const 16) "{\"ok\":")
)
