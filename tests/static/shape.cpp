// smup::BaseShape and smup::TargetShape: what a transfer goes between.
#include <smup/parameterization/shape.hpp>

#include <type_traits>

namespace {

using smup::ratio;

// The base model is dense unless said otherwise; a width must always be given
// (0 is rejected by width_ratio when used).
static_assert(std::is_aggregate_v<smup::BaseShape> && std::is_aggregate_v<smup::TargetShape>);
static_assert(smup::BaseShape{}.width == 0 && smup::BaseShape{}.density == ratio{1});
static_assert(smup::TargetShape{}.width == 0 && smup::TargetShape{}.density == ratio{1} &&
              smup::TargetShape{}.hidden_layers == 1);

constexpr smup::TargetShape target{.width = 1024, .density = {1, 16}, .hidden_layers = 4};
static_assert(target.width == 1024 && target.density == ratio{1, 16} && target.hidden_layers == 4);
constexpr smup::BaseShape sparse_base{.width = 256, .density = {1, 2}};
static_assert(sparse_base.density == ratio{1, 2});

// A density written as a double would truncate (0.5 -> 0, 1.5 -> 1): refused.
template <class T>
concept density_from = requires(T t) {
  smup::TargetShape{.width = 1, .density = t};
};
static_assert(density_from<ratio> && density_from<int>);
static_assert(!density_from<double> && !density_from<float>);

} // namespace
