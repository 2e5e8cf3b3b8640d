;; hostcaller: calls the hostcall op named like the call's op with the call's input as its
;; arguments (it finds both where the host puts them: {"op":"<op>","input":<input>}), and
;; replies the host's {"ok": result} as its own; the host's {"error": e} becomes
;; {"error": {"kind": "handler-err", "message": e}}.
(module
  (import "wire" "hostcall" (func $hostcall (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "wire_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $need i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $len)))
    (local.set $need (i32.sub (global.get $heap) (i32.shl (memory.size) (i32.const 16))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $need) (i32.const 16)) (i32.const 1)))
                        (i32.const -1))
              (then unreachable))))
    (local.get $ptr))
  (func (export "wire_free") (param i32 i32)
    (global.set $heap (i32.const 1024)))
  (func (export "wire_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $op i32) (local $oplen i32) (local $args i32) (local $argslen i32)
    (local $got i64) (local $rptr i32) (local $rlen i32) (local $out i32) (local $elen i32)
    ;; the op name starts after {"op":" (7 bytes) and ends at the next quote
    (local.set $op (i32.add (local.get $ptr) (i32.const 7)))
    (block $found
      (loop $scan
        (br_if $found (i32.eq (i32.load8_u (i32.add (local.get $op) (local.get $oplen))) (i32.const 34)))
        (local.set $oplen (i32.add (local.get $oplen) (i32.const 1)))
        (br $scan)))
    ;; the input follows ","input": (10 bytes) and ends before the final }
    (local.set $args (i32.add (i32.add (local.get $op) (local.get $oplen)) (i32.const 10)))
    (local.set $argslen (i32.sub (i32.sub (i32.add (local.get $ptr) (local.get $len)) (local.get $args)) (i32.const 1)))
    (local.set $got (call $hostcall (local.get $op) (local.get $oplen) (local.get $args) (local.get $argslen)))
    (local.set $rptr (i32.wrap_i64 (i64.shr_u (local.get $got) (i64.const 32))))
    (local.set $rlen (i32.wrap_i64 (local.get $got)))
    ;; {"ok": ... }: the host's reply is ours
    (if (i32.eq (i32.load8_u (i32.add (local.get $rptr) (i32.const 2))) (i32.const 111))
      (then (return (local.get $got))))
    ;; {"error": E} -> {"error":{"kind":"handler-err","message":E}}
    (local.set $elen (i32.sub (local.get $rlen) (i32.const 10)))
    (local.set $out (call $alloc (i32.add (local.get $elen) (i32.const 43))))
    (memory.copy (local.get $out) (i32.const 16) (i32.const 41))
    (memory.copy (i32.add (local.get $out) (i32.const 41)) (i32.add (local.get $rptr) (i32.const 9)) (local.get $elen))
    (i32.store16 (i32.add (local.get $out) (i32.add (local.get $elen) (i32.const 41))) (i32.const 0x7d7d)) ;; }}
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $elen) (i32.const 43)))))
  (data (i32.const 16) "{\"error\":{\"kind\":\"handler-err\",\"message\":")
)
