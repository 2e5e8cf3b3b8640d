;; misbehave: each op does what its first letter says (the request is {"op":"<op>",...},
;; so the letter is at offset 7):
;;   n no-handler, i in-json-err, f handler-err, t trap, l loop forever, g grow memory
;;   until it cannot (then trap), c count the calls on this instance ({"ok": n}, n < 10),
;;   p reply at a pointer past memory, z reply of a length past memory, j reply "nope",
;;   e reply {"x":1}, k an error of an unknown kind, o no reply (0), h a hostcall whose
;;   op name lies past memory, a "allow", d "deny" (as a policy). Anything else:
;;   no-handler.
(module
  (import "wire" "hostcall" (func $hostcall (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $calls (mut i32) (i32.const 0))
  (func (export "wire_alloc") (param $len i32) (result i32)
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
  (func $reply (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
  (func (export "wire_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $op i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $op (i32.load8_u (i32.add (local.get $ptr) (i32.const 7))))
    (if (i32.eq (local.get $op) (i32.const 105)) ;; i
      (then (return (call $reply (i32.const 48) (i32.const 63)))))
    (if (i32.eq (local.get $op) (i32.const 102)) ;; f
      (then (return (call $reply (i32.const 112) (i32.const 54)))))
    (if (i32.eq (local.get $op) (i32.const 116)) ;; t
      (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 108)) ;; l
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 103)) ;; g
      (then (loop $more
              (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
            unreachable))
    (if (i32.eq (local.get $op) (i32.const 99)) ;; c
      (then (i32.store8 (i32.const 246) (i32.add (i32.const 48) (global.get $calls)))
            (return (call $reply (i32.const 240) (i32.const 8)))))
    (if (i32.eq (local.get $op) (i32.const 112)) ;; p
      (then (return (call $reply (i32.const 0x7fff0000) (i32.const 16)))))
    (if (i32.eq (local.get $op) (i32.const 122)) ;; z
      (then (return (call $reply (i32.const 16) (i32.const 0x7fffffff)))))
    (if (i32.eq (local.get $op) (i32.const 106)) ;; j
      (then (return (call $reply (i32.const 176) (i32.const 4)))))
    (if (i32.eq (local.get $op) (i32.const 101)) ;; e
      (then (return (call $reply (i32.const 192) (i32.const 7)))))
    (if (i32.eq (local.get $op) (i32.const 107)) ;; k
      (then (return (call $reply (i32.const 208) (i32.const 26)))))
    (if (i32.eq (local.get $op) (i32.const 111)) ;; o
      (then (return (i64.const 0))))
    (if (i32.eq (local.get $op) (i32.const 97)) ;; a
      (then (return (call $reply (i32.const 256) (i32.const 14)))))
    (if (i32.eq (local.get $op) (i32.const 100)) ;; d
      (then (return (call $reply (i32.const 272) (i32.const 13)))))
    (if (i32.eq (local.get $op) (i32.const 104)) ;; h
      (then (drop (call $hostcall (i32.const 0x7fff0000) (i32.const 3) (i32.const 16) (i32.const 2)))))
    (call $reply (i32.const 16) (i32.const 31)))
  (data (i32.const 16) "{\"error\":{\"kind\":\"no-handler\"}}")
  (data (i32.const 48) "{\"error\":{\"kind\":\"in-json-err\",\"message\":\"expected an object\"}}")
  (data (i32.const 112) "{\"error\":{\"kind\":\"handler-err\",\"message\":\"it failed\"}}")
  (data (i32.const 176) "nope")
  (data (i32.const 192) "{\"x\":1}")
  (data (i32.const 208) "{\"error\":{\"kind\":\"weird\"}}")
  (data (i32.const 240) "{\"ok\":0}")
  (data (i32.const 256) "{\"ok\":\"allow\"}")
  (data (i32.const 272) "{\"ok\":\"deny\"}")
)
