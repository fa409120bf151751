#pragma once
/// smup::TiedReadout<P, E, Scalar>: a readout that reuses a token embedding's table,
/// logits = multiplier * table^T x + b (weight tying, as in GPT-2).
///
///     smup::Embedding<smup::SMuP> embed(/*width=*/256, /*vocab=*/256, base, hp, 7);
///     smup::TiedReadout<smup::SMuP> readout(embed, base, hp);
///     readout.forward(x, logits);           // x: [width][tokens], logits: [vocab][tokens]
///     readout.backward(x, d_logits, dx);    // overwrites the table gradient with its share
///     embed.backward(ids, dh, smup::GradientWrite::accumulate);  // adds the embedding's
///
/// The table is one tensor with two uses. It is initialised and trained by the input
/// role's rules (the embedding hands it to the optimizer); the readout applies the
/// output role's multiplier (alpha_out / m_d under muP and SmuP, alpha_out under SP).
/// That is only sound when P gives both roles the same init and learning rates
/// (smup::ties_input_and_output), checked at compile time.

#include <cstddef>
#include <cstdint>
#include <string>

#include <KokkosBlas3_gemm.hpp>
#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/kernels/dense.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/embedding.hpp>
#include <smup/layers/linear.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/weight_tying.hpp>

namespace smup {

template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class TiedReadout {
public:
  using parameterization = P;
  using execution_space = E;
  using scalar_type = Scalar;

  /// Shares `embedding`'s table and gradient (views, so moving either object keeps
  /// them shared). The bias, when asked for, is the readout's own.
  TiedReadout(Embedding<P, E, Scalar> const& embedding, BaseShape base, HyperParams const& hp,
              bool bias = true)
      : width_(embedding.width()), vocab_(embedding.vocab()),
        rules_(layer_hyperparams<P>(hp, base, width_, ratio{1}, Role::output)),
        bias_rules_(layer_hyperparams<P>(hp, base, width_, ratio{1}, Role::output_bias)),
        table_(embedding.table()), table_grad_(embedding.table_grad()),
        bias_("smup::TiedReadout::bias", bias ? static_cast<std::size_t>(vocab_) : 0),
        bias_grad_("smup::TiedReadout::bias_grad", bias ? static_cast<std::size_t>(vocab_) : 0) {
    // Here rather than in the class body, so a model can hold an optional TiedReadout
    // under any P and construct it only where tying is sound.
    static_assert(ties_input_and_output<P>, SMUP_DIAG_TIED_READOUT_RULES);
  }

  /// y = multiplier * table^T x + b.   x: [width][tokens], y: [vocab][tokens].
  void forward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& y) const {
    check("forward", "x", x, "y", y);
    detail::GemmMatrix<Scalar const, E> const in = x;
    detail::GemmMatrix<Scalar, E> const out = y;
    KokkosBlas::gemm("T", "N", multiplier(), table_matrix(), in, Scalar{0}, out);
    if (bias_.extent(0) == 0) return;
    auto const b = bias_;
    Kokkos::parallel_for(
        "smup::TiedReadout::add_bias",
        Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>({0, 0},
                                                  {vocab_, static_cast<std::int64_t>(y.extent(1))}),
        KOKKOS_LAMBDA(std::int64_t v, std::int64_t c) { y(v, c) += b(v); });
  }

  /// From dy = dL/dy: overwrites the table gradient with the readout's share,
  /// multiplier * x dy^T (the embedding's backward then adds its own), overwrites the
  /// bias gradient and, when dx is not empty, writes dx = multiplier * table dy.
  void backward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& dy,
                Activations<Scalar, E> const& dx) {
    check("backward", "x", x, "dy", dy);
    bool const wants_dx = dx.data() != nullptr;
    if (wants_dx) check("backward", "dx", dx, "dy", dy); // before anything is written
    detail::GemmMatrix<Scalar const, E> const lhs = x;
    detail::GemmMatrix<Scalar const, E> const rhs = dy;
    detail::GemmMatrix<Scalar, E> const grad(table_grad_.data(), static_cast<std::size_t>(width_),
                                             static_cast<std::size_t>(vocab_));
    KokkosBlas::gemm("N", "T", multiplier(), lhs, rhs, Scalar{0}, grad);
    if (bias_.extent(0) != 0) detail::bias_gradient<E>(dy, bias_grad_);
    if (!wants_dx) return;
    detail::GemmMatrix<Scalar, E> const out = dx;
    KokkosBlas::gemm("N", "N", multiplier(), table_matrix(), rhs, Scalar{0}, out);
  }

  /// Calls f(Tensor&) for the bias only: the table is the embedding's tensor.
  template <class F> void for_each_tensor(F&& f) {
    if (bias_.extent(0) == 0) return;
    Tensor<Scalar, E> b{bias_, bias_grad_, bias_rules_};
    f(b);
  }

  /// The bias (and its optimizer state); the shared table is counted by the embedding.
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto const bytes = bias_.span() * sizeof(Scalar);
    return {bytes, 0, optimizer_states * bytes};
  }

  [[nodiscard]] std::int64_t width() const { return width_; }
  [[nodiscard]] std::int64_t vocab() const { return vocab_; }
  /// The output role's values; only the multiplier is used, the table follows the input's.
  [[nodiscard]] LayerHyperParams const& rules() const { return rules_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias() const { return bias_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias_grad() const { return bias_grad_; }

private:
  Scalar multiplier() const { return static_cast<Scalar>(rules_.multiplier); }

  detail::GemmMatrix<Scalar const, E> table_matrix() const {
    return detail::GemmMatrix<Scalar const, E>(table_.data(), static_cast<std::size_t>(width_),
                                               static_cast<std::size_t>(vocab_));
  }

  /// `features` must be [width][n] and `logits` [vocab][n], for the same n.
  void check(char const* method, char const* features_name, Activations<Scalar, E> const& features,
             char const* logits_name, Activations<Scalar, E> const& logits) const {
    if (static_cast<std::int64_t>(features.extent(0)) == width_ &&
        static_cast<std::int64_t>(logits.extent(0)) == vocab_ &&
        features.extent(1) == logits.extent(1))
      return;
    detail::fail(std::string("smup::TiedReadout::") + method + ": " + features_name + " is " +
                 std::to_string(features.extent(0)) + " x " + std::to_string(features.extent(1)) +
                 " and " + logits_name + " is " + std::to_string(logits.extent(0)) + " x " +
                 std::to_string(logits.extent(1)) + " but need [width][n] and [vocab][n] with " +
                 "width " + std::to_string(width_) + " and vocab " + std::to_string(vocab_) +
                 ". Pass features of the model width and one logit row per token id.");
  }

  std::int64_t width_;
  std::int64_t vocab_;
  LayerHyperParams rules_;
  LayerHyperParams bias_rules_;
  WeightValues<Scalar, E> table_;
  WeightValues<Scalar, E> table_grad_;
  WeightValues<Scalar, E> bias_;
  WeightValues<Scalar, E> bias_grad_;
};

} // namespace smup
