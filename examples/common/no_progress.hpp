#pragma once
// What a training helper calls after each step when its caller follows no progress.

namespace smup_example {

/// on_step(steps_done, model) that does nothing: the default of the training helpers.
struct NoProgress {
  template <class Model> void operator()(int /*steps_done*/, Model& /*model*/) const {}
};

} // namespace smup_example
