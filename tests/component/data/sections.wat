;; Exercises every section kind lepton's component reader knows (start and value sections are
;; in values.wat, async built-ins in async.wat). Converted to .wasm by `wasm-tools parse`
;; during the test build (cmake/ComponentFixtures.cmake).
(component $root
  (@custom "lepton-note" "hello")

  ;; import of an instance type with a resource and a method
  (import "wasi:http/types@0.2.3" (instance $types
    (export "fields" (type $fields (sub resource)))
    (export "[method]fields.get"
      (func (param "self" (borrow $fields)) (param "name" string) (result (list (list u8)))))
  ))
  (alias export $types "fields" (type $fields))
  (import "tick" (func $tick (param "n" u32)))

  (core func $tick-low (canon lower (func $tick)))
  (core instance $host (export "tick" (func $tick-low)))

  (core module $m
    (import "host" "tick" (func (param i32)))
    (memory (export "memory") 1)
    (func (export "run") (param i32 i32) (result i32) local.get 0)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "dtor") (param i32))
  )
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (alias core export $i "memory" (core memory $mem))
  (core func $run (alias core export $i "run"))
  (core func $realloc (alias core export $i "realloc"))
  (core func $dtor (alias core export $i "dtor"))

  (core type $ft (func (param i32) (result i32)))
  (core type $mt (module
    (import "a" "b" (func))
    (type $t (func (param i32)))
    (export "c" (func (type $t)))
  ))
  (core rec (type (func)) (type (func (param i64))))

  (type $res (resource (rep i32) (dtor (core func $dtor))))
  (core func $res-new (canon resource.new $res))
  (core func $res-drop (canon resource.drop $res))
  (core func $res-rep (canon resource.rep $res))

  (type $rec (record (field "a" u32) (field "b" string)))
  (type $var (variant (case "none") (case "some" u64)))
  (type $lst (list $rec))
  (type $tup (tuple u8 s16 f64))
  (type $fl (flags "read" "write"))
  (type $en (enum "red" "green"))
  (type $opt (option char))
  (type $result (result $rec (error string)))
  (type $own (own $res))
  (type $borrow (borrow $res))
  (type $run-ty (func (param "x" string) (result u32)))
  (type $ct (component
    (import "x" (func (param "a" u32)))
    (export "y" (func (result string)))
  ))

  (func $run-lifted (type $run-ty)
    (canon lift (core func $run) (memory $mem) (realloc (core func $realloc)) string-encoding=utf8))

  (component $inner
    (type $t (func (param "x" string) (result u32)))
    (import "f" (func $f (type $t)))
    (export "g" (func $f))
  )
  (instance $inst (instantiate $inner (with "f" (func $run-lifted))))
  (alias export $inst "g" (func $g))
  (instance $bundle (export "run" (func $g)) (export "rec" (type $rec)))

  (export "run" (func $run-lifted))
  (export "wasi:cli/run@0.2.3" (instance $bundle))
  (export "res" (type $res))
)
