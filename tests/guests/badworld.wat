;; badworld: a component exporting wire-test:badworld/other instead of mat-wire (load-error test)
(module
  (func (export "wire-test:badworld/other#ping") (result i32)
    (i32.const 42))
)
