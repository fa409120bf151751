// 07_equal_compute: at equal hidden-matrix FLOPs and parameters, does a wider sparse model
// beat the dense one, with the hyper-parameters tuned once on the dense base model and
// transferred by SmuP? For a byte-level GPT (fortunes) and a Fashion-MNIST MLP: tune the LR
// on the dense model of width d, then train width d dense, 2d at density 1/4 and 4d at
// density 1/16 (whose hidden matrices keep as many weights as the dense model's) for
// unstructured, N:M and block sparsity, all with that LR; record validation loss against
// data, counted training FLOPs and measured training time; write the curves, one figure per
// model and a summary that says where the sparse wider model wins.
//
//   example_07_equal_compute                 # both models, default sizes
//   example_07_equal_compute --model gpt     # the GPT only
//   example_07_equal_compute --full          # GPT d = 128, MLP d = 256, longer, 3 seeds
//   example_07_equal_compute --smoke         # seconds: the pipeline end to end
//
// Resumable: the LR sweep's runs are kept in <out>/lr_tuning.csv and every finished
// comparison run in <out>/runs/ (gathered into <out>/curves.csv); a restart skips them.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/diagnostics/csv.hpp>

#include "../common/run_example.hpp"
#include "settings.hpp"
#include "study.hpp"

namespace {

using smup_example::equal_compute::parse;
using smup_example::equal_compute::Settings;
using smup_example::equal_compute::usage;

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    namespace ex = smup_example::equal_compute;
    auto const start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.out);
    std::ostringstream summary;
    summary << "# Equal compute: dense width d against wider sparse models under SmuP\n\n"
            << "Question: at equal hidden-matrix FLOPs and parameters, with the learning rate "
               "tuned once on the dense base model (width d) and transferred by SmuP, never "
               "re-tuned, does a wider sparse model beat the dense one? Compared: width d "
               "dense, 2d at density 1/4 and 4d at density 1/16 (their hidden matrices keep "
               "the same number of weights), each with unstructured (Bernoulli per weight), "
               "N:M (1:4 and 1:16) and block sparsity.\n\n"
            << "Settings: " << s.preset << " preset, " << s.seeds
            << " seed(s) per configuration (seed = mask, init and batch order), "
            << Kokkos::DefaultExecutionSpace().concurrency() << " Kokkos thread(s) ("
            << Kokkos::DefaultExecutionSpace::name() << "). Validation loss is evaluated at "
            << s.points
            << " evenly spaced steps of each run. Training time: wall time from the start of "
               "a run (model, masks and optimizer built) to each evaluation, with the clock "
               "stopped while evaluating and read after Kokkos::fence(); \"ms/step\" is the "
               "whole run's training time over its steps. Curves: curves.csv; figures: "
               "equal_compute_<model>.svg (mean over seeds).\n\n";
    if (s.runs_gpt()) summary << ex::gpt_study(s) << "\n";
    if (s.runs_mlp()) summary << ex::mlp_study(s) << "\n";
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    summary << "Wall time of this invocation: " << ex::fixed(minutes, 1)
            << " min (runs kept from an earlier invocation not counted).\n";
    smup::detail::write_file_atomically(s.out / "summary.md", summary.str(),
                                        "example_07_equal_compute");
    std::cout << summary.str();
  });
}
