// smup::DataParallel under mpiexec: training on the ranks' shares of each global batch
// matches training on the whole batch in one process (MLP with sparse hidden matrices, a
// small GPT), is bit-identical from run to run, and splits batches as documented.
//
//     mpiexec -n 2 smup_mpi_tests [share|mlp|gpt|repeat|errors]...   (none: all of them)
//
// A plain main, not Catch2: every rank runs every check, prints what failed, and the
// program exits nonzero on any rank that saw a failure.
#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <smup/distributed/data_parallel.hpp>
#include <smup/models/gpt.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-7, .alpha_in = 1.5, .alpha_out = 2.0};
constexpr smup::BaseShape base{.width = 8};
constexpr int steps = 20;
constexpr double loss_tolerance = 1e-5; // relative, at every step

int rank_ = 0;
int failures = 0;

void expect(bool ok, std::string const& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_, what.c_str());
}

template <class F> void expect_throws(F&& f, std::string_view needle, std::string const& what) {
  try {
    f();
  } catch (smup::error const& e) {
    expect(std::string_view(e.what()).find(needle) != std::string_view::npos,
           what + ": the message lacks '" + std::string(needle) + "': " + e.what());
    return;
  }
  expect(false, what + ": nothing was thrown");
}

template <class Model> std::vector<typename Model::scalar_type> weights_of(Model& model) {
  using S = typename Model::scalar_type;
  std::vector<S> out;
  model.for_each_tensor([&](smup::Tensor<S, E> const& t) {
    auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, t.values);
    out.insert(out.end(), h.data(), h.data() + h.extent(0));
  });
  return out;
}

/// Deterministic data, different for every step (the global batch is the same on all ranks).
template <class Scalar> struct MlpData {
  using Matrix = smup::Activations<Scalar, E>;
  using Labels = Kokkos::View<int*, E::memory_space>;
  std::int64_t in, classes;

  [[nodiscard]] std::pair<Matrix, Labels> operator()(int step, std::int64_t begin,
                                                     std::int64_t end) const {
    Matrix x("x", in, end - begin);
    Labels y("labels", end - begin);
    auto hx = Kokkos::create_mirror_view(x);
    auto hy = Kokkos::create_mirror_view(y);
    for (std::int64_t c = begin; c < end; ++c) {
      auto const column = static_cast<std::uint64_t>(step * 1000 + c);
      for (std::int64_t i = 0; i < in; ++i)
        hx(i, c - begin) = static_cast<Scalar>(2 * smup::detail::uniform01(5, column, i) - 1);
      hy(c - begin) = static_cast<int>(smup::detail::uniform01(6, column, 0) * classes);
    }
    Kokkos::deep_copy(x, hx);
    Kokkos::deep_copy(y, hy);
    return {x, y};
  }
};

struct GptData {
  using Tokens = Kokkos::View<int*, E::memory_space>;
  std::int64_t context, vocab;

  [[nodiscard]] std::pair<Tokens, Tokens> operator()(int step, std::int64_t begin,
                                                     std::int64_t end) const {
    std::int64_t const n = (end - begin) * context;
    Tokens tokens("tokens", n), targets("targets", n);
    auto ht = Kokkos::create_mirror_view(tokens);
    auto hy = Kokkos::create_mirror_view(targets);
    for (std::int64_t k = 0; k < n; ++k) {
      auto const at = static_cast<std::uint64_t>(step * 100000 + begin * context + k);
      ht(k) = static_cast<int>(smup::detail::uniform01(7, at, 0) * vocab);
      hy(k) = static_cast<int>(smup::detail::uniform01(8, at, 0) * vocab);
    }
    Kokkos::deep_copy(tokens, ht);
    Kokkos::deep_copy(targets, hy);
    return {tokens, targets};
  }
};

struct Run {
  std::vector<double> losses;
  std::vector<double> weights; // as doubles; float weights convert exactly
};

/// `steps` Adam steps of a fresh model: on this rank's share of each global batch
/// (dp given), or on the whole batch in this process (dp null).
template <class Model, class Batch> Run train(typename Model::Shape const& shape,
                                              std::int64_t global, Batch const& batch,
                                              smup::DataParallel* dp) {
  Model model(shape, base, hp, 42);
  if (dp != nullptr) dp->broadcast_weights(model);
  smup::Adam<smup::SMuP, E, typename Model::scalar_type> adam(model);
  auto const share = dp != nullptr ? dp->share(global) : smup::BatchShare{0, global};
  Run run;
  for (int step = 0; step < steps; ++step) {
    auto const [x, y] = batch(step, share.begin, share.end);
    run.losses.push_back(dp != nullptr
                             ? dp->train_step(model, x, y, share.size(), global, adam, 1.0)
                             : model.train_step(x, y, adam, 1.0));
  }
  if (dp != nullptr) expect(dp->same_weights(model), "the ranks' weights agree after training");
  for (auto w : weights_of(model)) run.weights.push_back(static_cast<double>(w));
  return run;
}

/// The ranks' run against the one-process run on the whole batch, step by step.
void compare_with_one_process(Run const& ranks, Run const& single, std::string const& what) {
  for (int step = 0; step < steps; ++step) {
    double const a = ranks.losses[static_cast<std::size_t>(step)];
    double const b = single.losses[static_cast<std::size_t>(step)];
    expect(std::abs(a - b) <= loss_tolerance * std::abs(b),
           what + ": step " + std::to_string(step + 1) + " loss " + std::to_string(a) +
               " on the ranks, " + std::to_string(b) + " in one process");
  }
  expect(single.losses.back() < single.losses.front(), what + ": the loss falls");
  if (rank_ == 0)
    std::printf("%s: step 1 loss %.6f, step %d loss %.6f (one process %.6f)\n", what.c_str(),
                ranks.losses.front(), steps, ranks.losses.back(), single.losses.back());
}

using Mlp = smup::MLP<smup::SMuP, smup::Unstructured, E, float>;
using MlpNM = smup::MLP<smup::SMuP, smup::NM<2, 4>, E, double>;
using Gpt = smup::GPT<smup::SMuP, smup::Unstructured, E, float>;

Mlp::Shape const mlp_shape{.in = 12, .width = 64, .hidden_layers = 2, .out = 5, .density = {1, 4}};
MlpData<float> const mlp_batch{12, 5};
Gpt::Shape const gpt_shape{
    .vocab = 32, .context = 8, .width = 32, .head_dim = 8, .blocks = 2, .density = {1, 4}};
GptData const gpt_batch{8, 32};

void check_share(smup::DataParallel& dp) {
  using smup::BatchShare;
  using smup::DataParallel;
  // 7 over 2: the first rank gets the extra example.
  expect(DataParallel::share_of(7, 0, 2) == BatchShare{0, 4}, "7 over 2: rank 0 gets [0, 4)");
  expect(DataParallel::share_of(7, 1, 2) == BatchShare{4, 7}, "7 over 2: rank 1 gets [4, 7)");
  expect(DataParallel::share_of(2, 2, 3) == BatchShare{2, 2}, "2 over 3: the last rank gets none");
  expect(DataParallel::share_of(0, 0, 1) == BatchShare{0, 0}, "an empty batch splits into nothing");
  // Every split covers the batch, in order, with sizes differing by at most one.
  for (int ranks = 1; ranks <= 5; ++ranks)
    for (std::int64_t global = 0; global <= 13; ++global) {
      std::int64_t next = 0, smallest = global, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        auto const s = DataParallel::share_of(global, r, ranks);
        expect(s.begin == next && s.end >= s.begin,
               "share_of(" + std::to_string(global) + ", " + std::to_string(r) + ", " +
                   std::to_string(ranks) + ") continues where the previous rank ended");
        next = s.end;
        smallest = std::min(smallest, s.size());
        largest = std::max(largest, s.size());
      }
      expect(next == global && largest - smallest <= 1,
             std::to_string(global) + " over " + std::to_string(ranks) + " is covered evenly");
    }
  expect_throws([] { (void)DataParallel::share_of(7, 2, 2); }, "0 <= rank < ranks",
                "share_of rejects a rank outside the communicator");
  // On this communicator: this rank's part of 7.
  auto const mine = dp.share(7);
  expect(mine == DataParallel::share_of(7, dp.rank(), dp.size()), "share(7) is share_of's");
  std::int64_t sizes[1] = {mine.size()};
  MPI_Allreduce(MPI_IN_PLACE, sizes, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  expect(sizes[0] == 7, "the ranks' shares of 7 add up to 7");
}

void check_mlp(smup::DataParallel& dp) {
  // Global batch 9: on 2 ranks, shares of 5 and 4 (weighted 5/9 and 4/9).
  auto const ranks = train<Mlp>(mlp_shape, 9, mlp_batch, &dp);
  auto const single = train<Mlp>(mlp_shape, 9, mlp_batch, nullptr);
  compare_with_one_process(ranks, single, "MLP, unstructured 1/4, float");
  // In double the two orders of summation agree to rounding: a much tighter check.
  MlpNM::Shape const nm{.in = 12, .width = 32, .hidden_layers = 2, .out = 5};
  MlpData<double> const mlp_double{12, 5};
  auto const r2 = train<MlpNM>(nm, 9, mlp_double, &dp);
  auto const s2 = train<MlpNM>(nm, 9, mlp_double, nullptr);
  compare_with_one_process(r2, s2, "MLP, 2:4, double");
  double worst = 0;
  for (std::size_t i = 0; i < r2.weights.size(); ++i)
    worst = std::max(worst, std::abs(r2.weights[i] - s2.weights[i]));
  expect(worst <= 1e-9, "MLP 2:4 double: weights after 20 steps within 1e-9 of one process (" +
                            std::to_string(worst) + ")");
}

void check_gpt(smup::DataParallel& dp) {
  auto const ranks = train<Gpt>(gpt_shape, 6, gpt_batch, &dp);
  auto const single = train<Gpt>(gpt_shape, 6, gpt_batch, nullptr);
  compare_with_one_process(ranks, single, "GPT, unstructured 1/4, float");
}

void check_repeat(smup::DataParallel& dp) {
  // Two runs on the ranks: the same losses and weights, bit for bit.
  auto const a = train<Mlp>(mlp_shape, 9, mlp_batch, &dp);
  auto const b = train<Mlp>(mlp_shape, 9, mlp_batch, &dp);
  expect(a.losses == b.losses, "MLP: two runs on the ranks give identical losses");
  expect(a.weights == b.weights, "MLP: two runs on the ranks give identical weights");
  auto const c = train<Gpt>(gpt_shape, 6, gpt_batch, &dp);
  auto const d = train<Gpt>(gpt_shape, 6, gpt_batch, &dp);
  expect(c.losses == d.losses, "GPT: two runs on the ranks give identical losses");
  expect(c.weights == d.weights, "GPT: two runs on the ranks give identical weights");
}

void check_errors(smup::DataParallel& dp) {
  Mlp model(mlp_shape, base, hp, 42);
  // Mistakes throw on every rank, none waits forever in a collective.
  auto const share = dp.share(9);
  expect_throws([&] { dp.allreduce_gradients(model, share.size() - (dp.rank() == 0), 9, 1.0); },
                "local counts add up to 8, not the global count 9",
                "allreduce_gradients rejects counts that do not add up");
  expect_throws([&] { dp.broadcast_weights(model, dp.size()); }, "is not a rank",
                "broadcast_weights rejects a root outside the communicator");
  expect_throws([&] { dp.allreduce_gradients(model, 3, 2, 1.0); }, "local_count <= global_count",
                "allreduce_gradients rejects a local count above the global one");
  if (dp.size() == 1) return;
  bool const last = dp.rank() == dp.size() - 1;
  expect_throws([&] { dp.allreduce_gradients(model, last ? -1 : 0, 9, 1.0); },
                last ? "needs 0 <= local_count" : "another rank was given invalid arguments",
                "one rank's invalid count");
  expect_throws([&] { dp.allreduce_gradients(model, 0, 9 + dp.rank(), 1.0); },
                "the ranks pass different values (from 9 to " + std::to_string(8 + dp.size()),
                "ranks disagreeing on the global batch");
  Mlp wider({.in = 12, .width = 64 + 8 * dp.rank(), .hidden_layers = 2, .out = 5}, base, hp, 42);
  expect_throws([&] { dp.broadcast_weights(wider); }, "the ranks' models differ in size",
                "broadcast_weights between models of different sizes");
  expect(!dp.same_weights(wider), "same_weights is false for models of different sizes");
  // Different seeds give different weights until broadcast_weights (dense: same masks).
  smup::MLP<smup::SMuP, smup::Dense, E, float> dense(
      {.in = 12, .width = 16, .hidden_layers = 1, .out = 5}, base, hp,
      static_cast<std::uint64_t>(dp.rank()));
  expect(!dp.same_weights(dense), "different seeds give different weights");
  dp.broadcast_weights(dense);
  expect(dp.same_weights(dense), "broadcast_weights makes the weights agree");
  // The ranks still step together after all those errors.
  auto const [x, y] = mlp_batch(0, share.begin, share.end);
  model.loss_and_gradients(x, y);
  double const loss = dp.allreduce_gradients(model, share.size(), 9, 2.0);
  expect(std::abs(loss - 2.0) < 1e-15, "a valid reduction after the errors: the mean of 2 is 2");
}

} // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  Kokkos::initialize(argc, argv);
  {
    std::vector<std::pair<std::string_view, std::function<void(smup::DataParallel&)>>> const checks{
        {"share", check_share},
        {"mlp", check_mlp},
        {"gpt", check_gpt},
        {"repeat", check_repeat},
        {"errors", check_errors}};
    std::vector<std::string_view> wanted(argv + 1, argv + argc);
    try {
      smup::DataParallel dp;
      for (auto const& [name, check] : checks)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end()) {
          check(dp);
          if (rank_ == 0) std::printf("%s: done\n", std::string(name).c_str());
        }
    } catch (std::exception const& e) {
      expect(false, std::string("unexpected exception: ") + e.what());
    }
  }
  Kokkos::finalize();
  int total = failures, size = 0;
  MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank_ == 0) {
    if (total == 0)
      std::printf("all checks passed on %d ranks\n", size);
    else
      std::printf("%d checks failed (summed over %d ranks)\n", total, size);
  }
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
