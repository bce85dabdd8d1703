;; The 🪙 value and start sections (not in any shipping toolchain; the reader still parses them).
(component
  (import "f" (func $f (param "x" u32) (result u32)))
  (import "v" (value $v u32))
  (start $f (value $v) (result (value $r)))
  (export "r" (value $r))
)
