;; Async built-ins: lepton parses them into "unsupported" canon nodes with opcode and offset.
(component
  (type $st (stream u8))
  (type $fu (future string))
  (core func (canon backpressure.inc))
  (core func (canon task.cancel))
  (core func (canon waitable-set.new))
  (core func (canon stream.new $st))
  (core func (canon future.new $fu))
  (core func (canon subtask.drop))
)
