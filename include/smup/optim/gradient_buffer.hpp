#pragma once
/// smup::GradientBuffer: all of a model's gradients in one contiguous array, tensor i at
/// offset(i), in for_each_tensor order. One array is one message: data parallelism sums
/// it across processes with a single collective, gradient accumulation sums into it.
///
///     smup::GradientBuffer buffer(model); // sized once, for this model
///     buffer.pack(model, 0.25);           // buffer  = 0.25 * gradients
///     buffer.add(model, 0.75);            // buffer += 0.75 * gradients
///     buffer.unpack(model);               // gradients = buffer
///
/// pack_values / unpack_values move the weights instead (broadcasts, consistency checks).
/// Every copy is a kernel on the model's execution space and none fences: kernels on one
/// space run in order, so only a caller that hands view().data() to something outside
/// Kokkos (MPI) must fence first.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/optim/tensor.hpp>

namespace smup {

namespace detail {

/// to = from, entry by entry. Not deep_copy, which fences: these copies need no more
/// order than any kernel's. (A free function: nvcc rejects device lambdas in private
/// members.)
template <class E, class From, class To>
void copy_entries(From const& from, To const& to, char const* name) {
  Kokkos::parallel_for(
      name, Kokkos::RangePolicy<E>(0, to.extent(0)),
      KOKKOS_LAMBDA(std::int64_t k) { to(k) = from(k); });
}

} // namespace detail

template <class Scalar, class E> class GradientBuffer {
public:
  using execution_space = E;
  using scalar_type = Scalar;
  using View = Kokkos::View<Scalar*, typename E::memory_space>;

  template <class Model> explicit GradientBuffer(Model& model) {
    check_model<Model>();
    offsets_.push_back(0);
    model.for_each_tensor([this](Tensor<Scalar, E> const& t) {
      offsets_.push_back(offsets_.back() + static_cast<std::int64_t>(t.grad.extent(0)));
    });
    buffer_ = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, "smup::GradientBuffer"),
                   offsets_.back());
  }

  /// The whole array: size() entries, tensor i in [offset(i), offset(i + 1)).
  [[nodiscard]] View const& view() const { return buffer_; }
  [[nodiscard]] std::int64_t size() const { return offsets_.back(); }
  [[nodiscard]] std::size_t tensors() const { return offsets_.size() - 1; }
  /// Where tensor i starts; offset(tensors()) == size().
  [[nodiscard]] std::int64_t offset(std::size_t i) const { return offsets_.at(i); }

  /// Whether the model hands out tensors of exactly the sizes this buffer was built for.
  template <class Model> [[nodiscard]] bool matches(Model& model) const {
    check_model<Model>();
    std::size_t i = 0;
    bool same = true;
    model.for_each_tensor([&](Tensor<Scalar, E> const& t) {
      same = same && i + 1 < offsets_.size() &&
             offsets_[i + 1] - offsets_[i] == static_cast<std::int64_t>(t.grad.extent(0));
      ++i;
    });
    return same && i + 1 == offsets_.size();
  }

  /// buffer = scale * gradients.
  template <class Model> void pack(Model& model, double scale = 1.0) {
    auto const s = static_cast<Scalar>(scale);
    visit(model, "pack", [s](View const& slice, Tensor<Scalar, E> const& t) {
      auto const g = t.grad;
      Kokkos::parallel_for(
          "smup::GradientBuffer::pack", Kokkos::RangePolicy<E>(0, slice.extent(0)),
          KOKKOS_LAMBDA(std::int64_t k) { slice(k) = s * g(k); });
    });
  }

  /// buffer += scale * gradients.
  template <class Model> void add(Model& model, double scale = 1.0) {
    auto const s = static_cast<Scalar>(scale);
    visit(model, "add", [s](View const& slice, Tensor<Scalar, E> const& t) {
      auto const g = t.grad;
      Kokkos::parallel_for(
          "smup::GradientBuffer::add", Kokkos::RangePolicy<E>(0, slice.extent(0)),
          KOKKOS_LAMBDA(std::int64_t k) { slice(k) += s * g(k); });
    });
  }

  /// gradients = buffer.
  template <class Model> void unpack(Model& model) const {
    visit(model, "unpack", [](View const& slice, Tensor<Scalar, E> const& t) {
      detail::copy_entries<E>(slice, t.grad, "smup::GradientBuffer::unpack");
    });
  }

  /// buffer = weights.
  template <class Model> void pack_values(Model& model) {
    visit(model, "pack_values", [](View const& slice, Tensor<Scalar, E> const& t) {
      detail::copy_entries<E>(t.values, slice, "smup::GradientBuffer::pack_values");
    });
  }

  /// weights = buffer.
  template <class Model> void unpack_values(Model& model) const {
    visit(model, "unpack_values", [](View const& slice, Tensor<Scalar, E> const& t) {
      detail::copy_entries<E>(slice, t.values, "smup::GradientBuffer::unpack_values");
    });
  }

  /// Every entry = value.
  void fill(Scalar value) {
    auto const b = buffer_;
    Kokkos::parallel_for(
        "smup::GradientBuffer::fill", Kokkos::RangePolicy<E>(0, b.extent(0)),
        KOKKOS_LAMBDA(std::int64_t k) { b(k) = value; });
  }

private:
  template <class Model> static void check_model() {
    static_assert(std::is_same_v<typename Model::execution_space, E> &&
                      std::is_same_v<typename Model::scalar_type, Scalar>,
                  "smup::GradientBuffer: the buffer's execution space or scalar type differs from "
                  "the model's. It holds the model's gradients in their own type and memory. "
                  "Declare it with the model's E and Scalar, or let CTAD pick them: "
                  "smup::GradientBuffer buffer(model).");
  }

  /// f(slice of the buffer, tensor) for every tensor, once the model is known to hand
  /// out the tensors the buffer was sized for: a mismatch throws before any copy.
  template <class Model, class F> void visit(Model& model, char const* what, F&& f) const {
    check_model<Model>();
    std::size_t i = 0;
    model.for_each_tensor([&](Tensor<Scalar, E> const& t) {
      auto const n = static_cast<std::int64_t>(t.grad.extent(0));
      if (i + 1 >= offsets_.size() || offsets_[i + 1] - offsets_[i] != n ||
          t.values.extent(0) != t.grad.extent(0))
        fail(what, "tensor " + std::to_string(i) + " has " + std::to_string(n) + " entries");
      ++i;
    });
    if (i + 1 != offsets_.size())
      fail(what, "the model hands out " + std::to_string(i) + " tensors");
    i = 0;
    model.for_each_tensor([&](Tensor<Scalar, E> const& t) {
      f(Kokkos::subview(buffer_, std::pair(offsets_[i], offsets_[i + 1])), t);
      ++i;
    });
  }

  [[noreturn]] void fail(char const* what, std::string const& found) const {
    detail::fail("smup::GradientBuffer::" + std::string(what) + ": " + found + ", but the buffer " +
                 "was sized for " + std::to_string(tensors()) + " tensors of " +
                 std::to_string(size()) + " entries in all. A buffer belongs to one model. " +
                 "Build one per model (and again if its tensors change).");
  }

  std::vector<std::int64_t> offsets_;
  View buffer_;
};

template <class Model> GradientBuffer(Model&)
    -> GradientBuffer<typename Model::scalar_type, typename Model::execution_space>;

} // namespace smup
