;; Reentrance between composed component instances (tests/component/compose_test.cc): the outer
;; component P lifts `cb` from its own core code and passes it to its child C ("donut wrapping").
;; C's `ping(n)` calls cb(n - 1); cb(5) answers 40, any other cb calls C's `ping` again through a
;; table filled with the lowered `ping`. P calling back into C while C is running must trap, as
;; must C calling an import from its post-return.
(component
  (core module $tab (table (export "t") 1 funcref))
  (core instance $ti (instantiate $tab))
  (core module $pm
    (import "t" "t" (table 1 funcref))
    (type $ft (func (param i32) (result i32)))
    (func (export "cb") (param i32) (result i32)
      (if (result i32) (i32.eq (local.get 0) (i32.const 5))
        (then (i32.const 40))
        (else (call_indirect (type $ft) (i32.const 0) (i32.const 0))))))
  (core instance $pi (instantiate $pm (with "t" (instance $ti))))
  (func $cb (param "n" u32) (result u32) (canon lift (core func $pi "cb")))
  (component $C
    (import "cb" (func $cb (param "n" u32) (result u32)))
    (core func $cb-l (canon lower (func $cb)))
    (core module $cm
      (import "host" "cb" (func $cb (param i32) (result i32)))
      ;; ping(0) = 7; ping(n) = cb(n - 1) + 1
      (func (export "ping") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 7))
          (else (i32.add (call $cb (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
      (func (export "ping-post") (param i32) (drop (call $cb (i32.const 5)))))
    (core instance $ci (instantiate $cm (with "host" (instance (export "cb" (func $cb-l))))))
    (func (export "ping") (param "n" u32) (result u32) (canon lift (core func $ci "ping")))
    (func (export "ping-post") (param "n" u32) (result u32)
      (canon lift (core func $ci "ping") (post-return (core func $ci "ping-post")))))
  (instance $c (instantiate $C (with "cb" (func $cb))))
  (alias export $c "ping" (func $ping))
  (core func $ping-l (canon lower (func $ping)))
  (core module $fill
    (import "t" "t" (table 1 funcref))
    (import "c" "ping" (func $ping (param i32) (result i32)))
    (elem (i32.const 0) func $ping))
  (core instance (instantiate $fill
    (with "t" (instance $ti))
    (with "c" (instance (export "ping" (func $ping-l))))))
  (export "ping" (func $ping))
  (export "ping-post" (func $c "ping-post")))
