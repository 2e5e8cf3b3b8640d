;; calc: typed exports of world `calc` (calc.wit), no wit-wire. option<u32> is returned
;; through a return area at 0: u8 discriminant @0, u32 payload @4.
(module
  (memory (export "memory") 1)
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (func (export "half") (param $x i32) (result i32)
    (if (i32.and (local.get $x) (i32.const 1))
      (then (i32.store8 (i32.const 0) (i32.const 0)))
      (else (i32.store8 (i32.const 0) (i32.const 1))
            (i32.store (i32.const 4) (i32.shr_u (local.get $x) (i32.const 1)))))
    (i32.const 0))
  (func (export "spin") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "grow") (param $pages i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (local.get $pages)) (i32.const -1))))
    unreachable)
  (func (export "fail") (result i32)
    unreachable)
)
