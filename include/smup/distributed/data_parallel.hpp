#pragma once
/// smup::DataParallel: synchronous data parallelism over MPI. Every rank holds the
/// whole model and computes the gradients of its own share of each global batch; the
/// ranks then sum their gradients, each weighted by its share of the batch, so every
/// rank takes the step one process would take on the whole batch (up to the order of
/// the sums) and the weights stay identical everywhere.
///
///     MPI_Init(&argc, &argv);
///     Kokkos::initialize(argc, argv);
///     {
///       smup::DataParallel dp; // MPI_COMM_WORLD
///       // The same seed everywhere: it fixes the sparse masks, which are not sent.
///       smup::MLP<smup::SMuP, smup::Unstructured> model(shape, base, hp, /*seed=*/7);
///       dp.broadcast_weights(model); // rank 0's initial weights everywhere (a safeguard)
///       smup::Adam<smup::SMuP> adam(model);
///       auto const share = dp.share(global_batch); // this rank's examples [begin, end)
///       // x: [in][share.size()], the columns share.begin .. share.end of the batch
///       double loss = dp.train_step(model, x, labels, share.size(), global_batch, adam);
///     } // smup's views die before Kokkos, its communicator before MPI
///     Kokkos::finalize();
///     MPI_Finalize();
///
/// A step costs one MPI_Allreduce of every gradient at once (a smup::GradientBuffer,
/// kept between steps) and two of a few numbers (the loss, and checks that the ranks
/// agree on the counts and the model's size, so a mistake throws on every rank instead
/// of hanging one). Device memory goes to MPI directly when the library says it is
/// CUDA-aware, else through a host copy. Only the host thread calls MPI: MPI_Init is
/// enough. Needs the CMake target smup::mpi (smup::smup and MPI::MPI_CXX).

#include <algorithm>
#include <any>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>

#include <mpi.h>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/distributed/mpi_support.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/gradient_buffer.hpp>

namespace smup {

/// A rank's part [begin, end) of a global batch of examples (columns, or sequences).
struct BatchShare {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  [[nodiscard]] std::int64_t size() const { return end - begin; }
  friend bool operator==(BatchShare const&, BatchShare const&) = default;
};

class DataParallel {
public:
  /// Works on a duplicate of comm (its own error handler, no clash with the caller's
  /// messages); MPI must be initialised and stay so until this object is gone.
  explicit DataParallel(MPI_Comm comm = MPI_COMM_WORLD) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized)
      smup::detail::fail("smup::DataParallel: MPI is not running (" +
                         std::string(finalized ? "already finalised" : "not initialised") +
                         "). The ranks talk through it. Call MPI_Init first, and MPI_Finalize "
                         "only after the DataParallel is destroyed.");
    if (comm == MPI_COMM_NULL)
      smup::detail::fail("smup::DataParallel: the communicator is MPI_COMM_NULL. It names "
                         "the ranks that train together. Pass e.g. MPI_COMM_WORLD.");
    detail::check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  DataParallel(DataParallel const&) = delete;
  DataParallel& operator=(DataParallel const&) = delete;
  DataParallel(DataParallel&& other) noexcept { swap(other); }
  DataParallel& operator=(DataParallel&& other) noexcept {
    DataParallel(std::move(other)).swap(*this);
    return *this;
  }
  ~DataParallel() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
  }

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// The communicator this object reduces on (its duplicate of the one given).
  [[nodiscard]] MPI_Comm comm() const { return comm_; }

  /// This rank's examples of a global batch: see share_of.
  [[nodiscard]] BatchShare share(std::int64_t global_batch) const {
    return share_of(global_batch, rank_, size_);
  }

  /// Rank r of `ranks` gets a contiguous range, ranks in order: every rank gets
  /// global / ranks examples and the first global % ranks one more, so sizes differ by
  /// at most one (and are 0 for the last ranks when global < ranks).
  [[nodiscard]] static BatchShare share_of(std::int64_t global_batch, int rank, int ranks) {
    if (global_batch < 0 || ranks < 1 || rank < 0 || rank >= ranks)
      smup::detail::fail("smup::DataParallel::share_of: needs global_batch >= 0 and "
                         "0 <= rank < ranks (got " +
                         std::to_string(global_batch) + ", rank " + std::to_string(rank) + " of " +
                         std::to_string(ranks) +
                         "). It splits a batch among the ranks. Pass the communicator's rank "
                         "and size.");
    std::int64_t const base = global_batch / ranks, extra = global_batch % ranks;
    std::int64_t const begin = rank * base + std::min<std::int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
  }

  /// Makes every rank's gradients the global batch's: sum over ranks of
  /// (local_count / global_count) * local gradients, in one MPI_Allreduce. Returns the
  /// global mean loss, the same weighted sum of local_loss. Counts are in any unit the
  /// losses average over uniformly (columns, sequences, tokens); a rank with
  /// local_count 0 contributes nothing and its gradients are not read.
  template <class Model> double allreduce_gradients(Model& model, std::int64_t local_count,
                                                    std::int64_t global_count, double local_loss) {
    auto& fused = fused_for(model);
    // Checked together with the other ranks' arguments: a mistake on one rank must
    // throw on all of them, or the others would wait in the next collective forever.
    bool const valid = local_count >= 0 && global_count >= 1 && local_count <= global_count;
    require_agreement("allreduce_gradients", valid, global_count, fused.buffer.size(), [&] {
      return "needs 0 <= local_count <= global_count and global_count >= 1 (got " +
             std::to_string(local_count) + " of " + std::to_string(global_count) +
             "). They weigh this rank's gradient. Pass share(global).size() and the global batch.";
    });
    double const weight = static_cast<double>(local_count) / static_cast<double>(global_count);
    double sums[2] = {local_count > 0 ? weight * local_loss : 0.0,
                      static_cast<double>(local_count)};
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_DOUBLE, MPI_SUM, comm_),
                      "MPI_Allreduce (loss)");
    if (sums[1] != static_cast<double>(global_count))
      smup::detail::fail(
          "smup::DataParallel::allreduce_gradients: the ranks' local counts add up to " +
          std::to_string(static_cast<std::int64_t>(sums[1])) + ", not the global count " +
          std::to_string(global_count) +
          ". Each example belongs to exactly one rank. Pass share(global).size() as local_count.");
    if (local_count > 0)
      fused.buffer.pack(model, weight);
    else
      fused.buffer.fill(Scalar<Model>(0));
    with_mpi_pointer(fused, [&](Scalar<Model>* data, int count) {
      detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, count,
                                      detail::mpi_datatype<Scalar<Model>>(), MPI_SUM, comm_),
                        "MPI_Allreduce (gradients)");
    });
    fused.buffer.unpack(model);
    return sums[0];
  }

  /// loss_and_gradients on this rank's examples, allreduce_gradients, clipping of the
  /// global gradient when max_grad_norm > 0, one optimizer step; returns the global
  /// mean loss. x and y hold local_count examples (an MLP's columns and labels, a
  /// GPT's sequences); with local_count 0 they are not touched.
  template <class Model, class Inputs, class Targets, class Optimizer>
  double train_step(Model& model, Inputs const& x, Targets const& y, std::int64_t local_count,
                    std::int64_t global_count, Optimizer& optimizer, double max_grad_norm = 0.0) {
    double const local_loss = local_count > 0 ? model.loss_and_gradients(x, y) : 0.0;
    double const loss = allreduce_gradients(model, local_count, global_count, local_loss);
    if (max_grad_norm > 0) clip_grad_norm(model, max_grad_norm);
    optimizer.step(model);
    return loss;
  }

  /// Every rank's weights = root's, in one MPI_Bcast: once after building the model,
  /// before the first step, the ranks start alike even if their initialisation differed
  /// (another Kokkos backend, another library version). Only values travel: the sparse
  /// masks come from the seed, which must be the same on every rank.
  template <class Model> void broadcast_weights(Model& model, int root = 0) {
    auto& fused = fused_for(model);
    require_agreement("broadcast_weights", root >= 0 && root < size_, root, fused.buffer.size(),
                      [&] {
                        return "root " + std::to_string(root) +
                               " is not a rank of this communicator of " + std::to_string(size_) +
                               ". It is the rank whose weights all get. Pass 0 .. size() - 1.";
                      });
    fused.buffer.pack_values(model);
    with_mpi_pointer(fused, [&](Scalar<Model>* data, int count) {
      detail::check_mpi(MPI_Bcast(data, count, detail::mpi_datatype<Scalar<Model>>(), root, comm_),
                        "MPI_Bcast (weights)");
    });
    fused.buffer.unpack_values(model);
  }

  /// Whether every rank holds bit-identical weights (a hash of them, compared with one
  /// tiny MPI_Allreduce); the same answer on every rank.
  template <class Model> [[nodiscard]] bool same_weights(Model& model) {
    auto& fused = fused_for(model);
    fused.buffer.pack_values(model);
    auto const host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, fused.buffer.view());
    auto const* bytes = reinterpret_cast<unsigned char const*>(host.data());
    std::uint64_t hash = 14695981039346656037ull; // FNV-1a
    for (std::size_t i = 0; i < host.span() * sizeof(Scalar<Model>); ++i)
      hash = (hash ^ bytes[i]) * 1099511628211ull;
    auto const n = static_cast<std::uint64_t>(fused.buffer.size());
    std::uint64_t maxima[4] = {hash, ~hash, n, ~n}; // as in require_agreement
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, maxima, 4, MPI_UINT64_T, MPI_MAX, comm_),
                      "MPI_Allreduce (weight hash)");
    return maxima[0] == ~maxima[1] && maxima[2] == ~maxima[3];
  }

private:
  template <class Model> using Scalar = typename Model::scalar_type;

  /// The gradient buffer of one model type, and its host copy when MPI cannot take
  /// pointers into the model's memory.
  template <class S, class E> struct Fused {
    GradientBuffer<S, E> buffer;
    Kokkos::View<S*, Kokkos::HostSpace> staging;
  };

  /// The buffer for this model, rebuilt when the model's type or tensors changed.
  template <class Model> auto& fused_for(Model& model) {
    using F = Fused<Scalar<Model>, typename Model::execution_space>;
    auto* fused = std::any_cast<F>(&fused_);
    if (fused == nullptr || !fused->buffer.matches(model)) {
      fused_ = F{GradientBuffer<Scalar<Model>, typename Model::execution_space>(model), {}};
      fused = std::any_cast<F>(&fused_);
    }
    return *fused;
  }

  /// f(pointer, count) on the buffer's data as MPI may see it, in pieces of at most
  /// INT_MAX entries (MPI counts are int); the result is back in the buffer afterwards.
  template <class S, class E, class F> void with_mpi_pointer(Fused<S, E>& fused, F&& f) {
    auto const& view = fused.buffer.view();
    auto const n = static_cast<std::int64_t>(view.extent(0));
    auto each_piece = [&](S* data) {
      for (std::int64_t at = 0; at < n; at += INT_MAX)
        f(data + at, static_cast<int>(std::min<std::int64_t>(n - at, INT_MAX)));
    };
    // The kernels that filled the buffer must be done before MPI reads it.
    E().fence();
    if (detail::mpi_accepts_pointers_into<typename E::memory_space>()) {
      each_piece(view.data());
      return;
    }
    if (static_cast<std::int64_t>(fused.staging.extent(0)) != n)
      fused.staging = Kokkos::View<S*, Kokkos::HostSpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "smup::DataParallel::staging"), n);
    Kokkos::deep_copy(fused.staging, view);
    each_piece(fused.staging.data());
    Kokkos::deep_copy(view, fused.staging);
  }

  /// Throws on every rank when any rank's own arguments are invalid (problem() says why
  /// on that rank) or the ranks disagree on `shared` (the global count, or the root) or
  /// on the model's size: the collective that follows would otherwise hang or mismatch.
  template <class Problem> void require_agreement(char const* what, bool valid, std::int64_t shared,
                                                  std::int64_t entries, Problem const& problem) {
    auto const g = static_cast<std::uint64_t>(shared);
    auto const n = static_cast<std::uint64_t>(entries);
    // The maximum of ~x is ~(the minimum of x): one MAX tells whether all x agree.
    std::uint64_t maxima[5] = {g, ~g, n, ~n, valid ? 0u : 1u};
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, maxima, 5, MPI_UINT64_T, MPI_MAX, comm_),
                      "MPI_Allreduce (agreement)");
    std::string const where = "smup::DataParallel::" + std::string(what) + ": ";
    if (!valid) smup::detail::fail(where + problem());
    if (maxima[4] != 0)
      smup::detail::fail(where + "another rank was given invalid arguments (its error says "
                                 "which). The ranks step together. Fix the call on that rank.");
    if (maxima[0] != ~maxima[1])
      smup::detail::fail(where + "the ranks pass different values (from " +
                         std::to_string(static_cast<std::int64_t>(~maxima[1])) + " to " +
                         std::to_string(static_cast<std::int64_t>(maxima[0])) +
                         ") where all must pass the same: the global count, or the root. "
                         "Pass the same value on every rank.");
    if (maxima[2] != ~maxima[3])
      smup::detail::fail(where + "the ranks' models differ in size (from " +
                         std::to_string(~maxima[3]) + " to " + std::to_string(maxima[2]) +
                         " entries). Every rank trains the same model. Build it with the same "
                         "shape (and, for sparse masks, the same seed) everywhere.");
  }

  void swap(DataParallel& other) noexcept {
    std::swap(comm_, other.comm_);
    std::swap(rank_, other.rank_);
    std::swap(size_, other.size_);
    std::swap(fused_, other.fused_);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
  std::any fused_; // a Fused<Scalar, E>: one DataParallel serves any model type
};

} // namespace smup
