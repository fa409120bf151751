#pragma once
/// smup::LayerNorm<P, E, Scalar>: normalises each column of [features][columns]
/// activations over its features, then applies a learned per-feature gain and bias:
/// y(i, c) = gain(i) * (x(i, c) - mean_c) / sqrt(var_c + eps) + bias(i).
///
///     smup::LayerNorm<smup::SMuP> norm(/*features=*/1024, base, hp);
///     norm.forward(x, y);            // keeps each column's mean and 1/std for backward
///     norm.backward(x, dy, dx);      // overwrites the gain and bias gradients, writes dx
///
/// The variance is the biased one (divided by features), as in GPT-2. The gain
/// (Role::norm_gain, starts at 1) and bias (Role::bias, starts at 0) take their
/// learning rates from P, so optimizers treat them apart from the matrices.
/// backward must get the x of the last forward; y may alias x and dx may alias dy.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/math.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/shape.hpp>

namespace smup {

template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class LayerNorm {
public:
  using parameterization = P;
  using execution_space = E;
  using scalar_type = Scalar;

  LayerNorm(std::int64_t features, BaseShape base, HyperParams const& hp, double eps = 1e-5)
      : features_(checked_features(features, eps)), eps_(eps),
        gain_rules_(layer_hyperparams<P>(hp, base, features, ratio{1}, Role::norm_gain)),
        bias_rules_(layer_hyperparams<P>(hp, base, features, ratio{1}, Role::bias)),
        gain_("smup::LayerNorm::gain", static_cast<std::size_t>(features)),
        gain_grad_("smup::LayerNorm::gain_grad", static_cast<std::size_t>(features)),
        bias_("smup::LayerNorm::bias", static_cast<std::size_t>(features)),
        bias_grad_("smup::LayerNorm::bias_grad", static_cast<std::size_t>(features)),
        mean_("smup::LayerNorm::mean", 0), inv_std_("smup::LayerNorm::inv_std", 0) {
    Kokkos::deep_copy(gain_, Scalar(1)); // identity at init, whatever the parameterization
  }

  /// x, y: [features][columns]. Keeps each column's mean and 1/std for backward.
  void forward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& y) {
    check_rows("forward", "x", x);
    check_same_shape("forward", "y", y, x);
    auto const columns = static_cast<std::int64_t>(x.extent(1));
    if (static_cast<std::int64_t>(mean_.extent(0)) != columns) {
      Kokkos::realloc(mean_, static_cast<std::size_t>(columns));
      Kokkos::realloc(inv_std_, static_cast<std::size_t>(columns));
    }
    auto const mean = mean_, inv_std = inv_std_;
    auto const gain = gain_, bias = bias_;
    auto const rows = features_;
    auto const eps = static_cast<Scalar>(eps_);
    if constexpr (detail::executes_on_host<E>) {
      // A host thread takes a chunk of neighbouring columns and walks the rows once per
      // pass for all of them, reading contiguous entries. Walking one column alone strides
      // by the row length, and every entry is a cache miss. Each column's sums keep their
      // order, so the results are those of the one-column-per-thread kernel.
      Kokkos::parallel_for("smup::LayerNorm::forward",
                           Kokkos::RangePolicy<E>(0, column_chunks(columns)),
                           [=](std::int64_t chunk) {
                             auto const c0 = chunk * host_chunk;
                             auto const n = std::min<std::int64_t>(host_chunk, columns - c0);
                             Scalar mu[host_chunk] = {}, r[host_chunk] = {};
                             for (std::int64_t i = 0; i < rows; ++i)
                               for (std::int64_t j = 0; j < n; ++j) mu[j] += x(i, c0 + j);
                             for (std::int64_t j = 0; j < n; ++j) mu[j] /= Scalar(rows);
                             for (std::int64_t i = 0; i < rows; ++i)
                               for (std::int64_t j = 0; j < n; ++j)
                                 r[j] += (x(i, c0 + j) - mu[j]) * (x(i, c0 + j) - mu[j]);
                             for (std::int64_t j = 0; j < n; ++j) {
                               r[j] = Scalar(1) / detail::sqrt(r[j] / Scalar(rows) + eps);
                               mean(c0 + j) = mu[j];
                               inv_std(c0 + j) = r[j];
                             }
                             for (std::int64_t i = 0; i < rows; ++i)
                               for (std::int64_t j = 0; j < n; ++j)
                                 y(i, c0 + j) = gain(i) * (x(i, c0 + j) - mu[j]) * r[j] + bias(i);
                           });
      return;
    }
    // One thread per column: adjacent threads read adjacent entries (columns are
    // contiguous), and the sums run in a fixed order, so results are reproducible.
    Kokkos::parallel_for(
        "smup::LayerNorm::forward", Kokkos::RangePolicy<E>(0, columns),
        KOKKOS_LAMBDA(std::int64_t c) {
          Scalar sum = 0;
          for (std::int64_t i = 0; i < rows; ++i) sum += x(i, c);
          Scalar const mu = sum / Scalar(rows);
          // Two passes: the variance of centred values does not cancel catastrophically.
          Scalar sq = 0;
          for (std::int64_t i = 0; i < rows; ++i) sq += (x(i, c) - mu) * (x(i, c) - mu);
          Scalar const r = Scalar(1) / detail::sqrt(sq / Scalar(rows) + eps);
          mean(c) = mu;
          inv_std(c) = r;
          for (std::int64_t i = 0; i < rows; ++i) y(i, c) = gain(i) * (x(i, c) - mu) * r + bias(i);
        });
  }

  /// From dy = dL/dy: overwrites the gain and bias gradients and, when dx is not
  /// empty, writes dx = dL/dx. x must be the input of the last forward.
  void backward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& dy,
                Activations<Scalar, E> const& dx) {
    check_rows("backward", "x", x);
    check_same_shape("backward", "dy", dy, x);
    bool const want_dx = dx.data() != nullptr;
    if (want_dx) check_same_shape("backward", "dx", dx, x);
    if (mean_.extent(0) != x.extent(1))
      detail::fail("smup::LayerNorm::backward: the last forward saw " +
                   std::to_string(mean_.extent(0)) + " column(s), x has " +
                   std::to_string(x.extent(1)) +
                   ". Call forward on this x before backward; backward reuses its statistics.");
    auto const columns = static_cast<std::int64_t>(x.extent(1));
    auto const mean = mean_, inv_std = inv_std_;
    auto const gain = gain_, dgain = gain_grad_, dbias = bias_grad_;
    auto const rows = features_;

    if constexpr (detail::executes_on_host<E>) {
      // One thread per feature, summing its contiguous row in order: no atomics.
      Kokkos::parallel_for(
          "smup::LayerNorm::param_grad", Kokkos::RangePolicy<E>(0, rows),
          KOKKOS_LAMBDA(std::int64_t i) {
            Scalar g = 0, b = 0;
            for (std::int64_t c = 0; c < columns; ++c) {
              g += dy(i, c) * (x(i, c) - mean(c)) * inv_std(c);
              b += dy(i, c);
            }
            dgain(i) = g;
            dbias(i) = b;
          });
    } else {
      // A team per feature: its threads read neighbouring columns and reduce in a fixed
      // tree, so the sums stay reproducible and a GPU gets more than `rows` threads.
      using Team = typename Kokkos::TeamPolicy<E>::member_type;
      Kokkos::parallel_for(
          "smup::LayerNorm::param_grad", Kokkos::TeamPolicy<E>(rows, Kokkos::AUTO),
          KOKKOS_LAMBDA(Team const& team) {
            auto const i = static_cast<std::int64_t>(team.league_rank());
            Scalar g = 0, b = 0;
            Kokkos::parallel_reduce(
                Kokkos::TeamThreadRange(team, columns),
                [&](std::int64_t c, Scalar& part) {
                  part += dy(i, c) * (x(i, c) - mean(c)) * inv_std(c);
                },
                g);
            Kokkos::parallel_reduce(
                Kokkos::TeamThreadRange(team, columns),
                [&](std::int64_t c, Scalar& part) { part += dy(i, c); }, b);
            Kokkos::single(Kokkos::PerTeam(team), [&] {
              dgain(i) = g;
              dbias(i) = b;
            });
          });
    }
    if (!want_dx) return;

    // With u = gain * dy and xhat the normalised x, per column:
    // dx = (1/std) * (u - mean(u) - xhat * mean(u * xhat)).
    // Both means are taken before any dx is written, so dx may alias dy.
    if constexpr (detail::executes_on_host<E>) {
      // Chunks of columns, rows walked once per pass, as in forward.
      Kokkos::parallel_for(
          "smup::LayerNorm::backward_data", Kokkos::RangePolicy<E>(0, column_chunks(columns)),
          [=](std::int64_t chunk) {
            auto const c0 = chunk * host_chunk;
            auto const n = std::min<std::int64_t>(host_chunk, columns - c0);
            Scalar su[host_chunk] = {}, sux[host_chunk] = {};
            for (std::int64_t i = 0; i < rows; ++i)
              for (std::int64_t j = 0; j < n; ++j) {
                Scalar const u = gain(i) * dy(i, c0 + j);
                su[j] += u;
                sux[j] += u * (x(i, c0 + j) - mean(c0 + j)) * inv_std(c0 + j);
              }
            for (std::int64_t j = 0; j < n; ++j) {
              su[j] /= Scalar(rows);
              sux[j] /= Scalar(rows);
            }
            for (std::int64_t i = 0; i < rows; ++i)
              for (std::int64_t j = 0; j < n; ++j) {
                Scalar const r = inv_std(c0 + j);
                Scalar const xhat = (x(i, c0 + j) - mean(c0 + j)) * r;
                dx(i, c0 + j) = r * (gain(i) * dy(i, c0 + j) - su[j] - xhat * sux[j]);
              }
          });
      return;
    }
    Kokkos::parallel_for(
        "smup::LayerNorm::backward_data", Kokkos::RangePolicy<E>(0, columns),
        KOKKOS_LAMBDA(std::int64_t c) {
          Scalar const mu = mean(c), r = inv_std(c);
          Scalar su = 0, sux = 0;
          for (std::int64_t i = 0; i < rows; ++i) {
            Scalar const u = gain(i) * dy(i, c);
            su += u;
            sux += u * (x(i, c) - mu) * r;
          }
          Scalar const mean_u = su / Scalar(rows), mean_ux = sux / Scalar(rows);
          for (std::int64_t i = 0; i < rows; ++i) {
            Scalar const xhat = (x(i, c) - mu) * r;
            dx(i, c) = r * (gain(i) * dy(i, c) - mean_u - xhat * mean_ux);
          }
        });
  }

  /// Calls f(Tensor&) for the gain, then the bias: the order optimizers keep state in.
  template <class F> void for_each_tensor(F&& f) {
    Tensor<Scalar, E> g{gain_, gain_grad_, gain_rules_};
    f(g);
    Tensor<Scalar, E> b{bias_, bias_grad_, bias_rules_};
    f(b);
  }

  /// Memory of the gain and bias, with `optimizer_states` arrays of state per tensor.
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto const bytes = 2 * static_cast<std::size_t>(features_) * sizeof(Scalar);
    return {bytes, 0, optimizer_states * bytes};
  }

  [[nodiscard]] std::int64_t features() const { return features_; }
  [[nodiscard]] double eps() const { return eps_; }
  [[nodiscard]] LayerHyperParams const& gain_rules() const { return gain_rules_; }
  [[nodiscard]] LayerHyperParams const& bias_rules() const { return bias_rules_; }
  [[nodiscard]] WeightValues<Scalar, E> const& gain() const { return gain_; }
  [[nodiscard]] WeightValues<Scalar, E> const& gain_grad() const { return gain_grad_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias() const { return bias_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias_grad() const { return bias_grad_; }
  /// Per-column mean and 1/sqrt(var + eps) of the last forward.
  [[nodiscard]] WeightValues<Scalar, E> const& mean() const { return mean_; }
  [[nodiscard]] WeightValues<Scalar, E> const& inv_std() const { return inv_std_; }

private:
  /// Columns per host work item: a vector register's worth or more of each row.
  static constexpr std::int64_t host_chunk = 32;
  static std::int64_t column_chunks(std::int64_t columns) {
    return (columns + host_chunk - 1) / host_chunk;
  }

  // Checked before any member is built, so a bad size never reaches an allocation.
  static std::int64_t checked_features(std::int64_t features, double eps) {
    if (features < 1)
      detail::fail("smup::LayerNorm::LayerNorm: features must be at least 1 (got " +
                   std::to_string(features) +
                   "). Pass the width of the activations it normalises.");
    if (!(eps > 0.0 && eps <= std::numeric_limits<double>::max()))
      detail::fail("smup::LayerNorm::LayerNorm: eps must be positive and finite (got " +
                   std::to_string(eps) + "). It keeps 1/sqrt(var + eps) finite; 1e-5 is usual.");
    return features;
  }

  void check_rows(char const* method, char const* name, Activations<Scalar, E> const& v) const {
    if (static_cast<std::int64_t>(v.extent(0)) != features_)
      detail::fail(std::string("smup::LayerNorm::") + method + ": " + name + " has " +
                   std::to_string(v.extent(0)) + " feature row(s), the layer normalises " +
                   std::to_string(features_) + ". Pass [features][columns] activations.");
  }

  static void check_same_shape(char const* method, char const* name,
                               Activations<Scalar, E> const& v, Activations<Scalar, E> const& x) {
    if (v.extent(0) != x.extent(0) || v.extent(1) != x.extent(1))
      detail::fail(std::string("smup::LayerNorm::") + method + ": " + name + " is " +
                   std::to_string(v.extent(0)) + " x " + std::to_string(v.extent(1)) + ", x is " +
                   std::to_string(x.extent(0)) + " x " + std::to_string(x.extent(1)) + ". Pass " +
                   name + " of the shape of x.");
  }

  std::int64_t features_;
  double eps_;
  LayerHyperParams gain_rules_;
  LayerHyperParams bias_rules_;
  WeightValues<Scalar, E> gain_;
  WeightValues<Scalar, E> gain_grad_;
  WeightValues<Scalar, E> bias_;
  WeightValues<Scalar, E> bias_grad_;
  WeightValues<Scalar, E> mean_;
  WeightValues<Scalar, E> inv_std_;
};

} // namespace smup
