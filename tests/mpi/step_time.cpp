// Time of one data-parallel training step of the benchmark MLP (784 -> 4 hidden layers of
// width 1024 at density 1/16, unstructured -> 10, float, Adam), global batch 256 split
// over the ranks, with the median time of its parts. Not a test: a measurement.
//
//     OMP_NUM_THREADS=1 mpiexec -n 2 smup_mpi_step_time [--width 1024] [--batch 256] [--steps 30]
#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <smup/distributed/data_parallel.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Model = smup::MLP<smup::SMuP, smup::Unstructured, E, float>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  {
    std::int64_t width = 1024, batch = 256;
    int steps = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
      std::string_view const arg = argv[i];
      long long const value = std::atoll(argv[i + 1]);
      if (arg == "--width") width = value;
      if (arg == "--batch") batch = value;
      if (arg == "--steps") steps = static_cast<int>(value);
    }
    smup::DataParallel dp;
    smup::HyperParams const hp{.sigma = 0.05, .eta = 0x1p-9};
    Model model({.in = 784, .width = width, .hidden_layers = 4, .out = 10, .density = {1, 16}},
                {.width = 128}, hp, 7);
    dp.broadcast_weights(model);
    smup::Adam<smup::SMuP, E, float> adam(model);
    auto const share = dp.share(batch);
    smup::Activations<float, E> x("x", 784, share.size());
    Model::Labels labels("labels", share.size());
    auto hx = Kokkos::create_mirror_view(x);
    auto hy = Kokkos::create_mirror_view(labels);
    for (std::int64_t c = 0; c < share.size(); ++c) {
      auto const column = static_cast<std::uint64_t>(share.begin + c);
      for (std::int64_t i = 0; i < 784; ++i)
        hx(i, c) = static_cast<float>(smup::detail::uniform01(3, column, i));
      hy(c) = static_cast<int>(column % 10);
    }
    Kokkos::deep_copy(x, hx);
    Kokkos::deep_copy(labels, hy);

    std::vector<double> step, compute, reduce, update;
    for (int s = -3; s < steps; ++s) { // 3 untimed warm-up steps
      MPI_Barrier(MPI_COMM_WORLD);
      double const t0 = MPI_Wtime();
      double const local = model.loss_and_gradients(x, labels);
      Kokkos::fence();
      double const t1 = MPI_Wtime();
      dp.allreduce_gradients(model, share.size(), batch, local);
      double const t2 = MPI_Wtime();
      adam.step(model);
      Kokkos::fence();
      double const t3 = MPI_Wtime();
      // The slowest rank sets the pace.
      double times[4] = {t3 - t0, t1 - t0, t2 - t1, t3 - t2};
      MPI_Allreduce(MPI_IN_PLACE, times, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (s < 0) continue;
      step.push_back(times[0]);
      compute.push_back(times[1]);
      reduce.push_back(times[2]);
      update.push_back(times[3]);
    }
    smup::GradientBuffer const buffer(model);
    if (dp.rank() == 0)
      std::printf("ranks %d, OpenMP threads per rank %d, width %lld, density 1/16, global batch "
                  "%lld (%lld per rank), gradients %.2f MB: step %.2f ms median of %d (forward + "
                  "backward %.2f, allreduce %.2f, Adam %.2f)\n",
                  dp.size(), Kokkos::DefaultExecutionSpace::concurrency(),
                  static_cast<long long>(width), static_cast<long long>(batch),
                  static_cast<long long>(share.size()), double(buffer.size()) * sizeof(float) / 1e6,
                  1e3 * median(step), steps, 1e3 * median(compute), 1e3 * median(reduce),
                  1e3 * median(update));
  }
  Kokkos::finalize();
  MPI_Finalize();
  return 0;
}
