;; Extism echo plugin: copies the call input to the output through the Extism kernel,
;; 8 bytes at a time (input_load_u64/store_u64), then the tail byte by byte.
;; `echo` copies input to output; `call_host` passes the input to the host function
;; `extism:host/user` `hostcall` and outputs its result (hostcall round-trip benchmark).
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "hostcall" (func $hostcall (param i64) (result i64)))
  (memory (export "memory") 1)

  ;; copy the whole input into a fresh Extism block; returns its offset
  (func $load_input (param $len i64) (result i64)
    (local $off i64) (local $i i64) (local $words i64)
    (local.set $off (call $alloc (local.get $len)))
    (local.set $words (i64.and (local.get $len) (i64.const -8)))
    (block $done8
      (loop $copy8
        (br_if $done8 (i64.ge_u (local.get $i) (local.get $words)))
        (call $store_u64 (i64.add (local.get $off) (local.get $i))
                         (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $copy8)))
    (block $done1
      (loop $copy1
        (br_if $done1 (i64.ge_u (local.get $i) (local.get $len)))
        (call $store_u8 (i64.add (local.get $off) (local.get $i))
                        (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $copy1)))
    (local.get $off))

  (func (export "echo") (result i32)
    (local $len i64)
    (local.set $len (call $input_length))
    (call $output_set (call $load_input (local.get $len)) (local.get $len))
    (i32.const 0))

  (func (export "call_host") (result i32)
    (local $out i64)
    (local.set $out (call $hostcall (call $load_input (call $input_length))))
    (call $output_set (local.get $out) (call $length (local.get $out)))
    (i32.const 0))
)
