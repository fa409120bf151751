#include <smup/smup.hpp>

#include <Kokkos_Core.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  constexpr smup::ratio half{2, 4};
  std::printf("smup consumer: ratio %lld/%lld on %s\n", static_cast<long long>(half.num),
              static_cast<long long>(half.den), Kokkos::DefaultExecutionSpace::name());
  return 0;
}
