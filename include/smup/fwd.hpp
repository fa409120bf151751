#pragma once
/// Forward declarations of smup's public vocabulary, for headers that only name it.

namespace smup {

struct ratio;
struct Monomial;
enum class Role;
enum class OptimizerFamily;

struct parameterization_tag;
struct SP;
struct MuP;
struct SMuP;
struct HyperParams;
struct BaseShape;
struct TargetShape;
struct LayerHyperParams;
struct StabilityReport;

struct sparsity_tag;
struct Dense;
struct Unstructured;
struct BalancedUnstructured;
template <int N, int M> struct NM;
template <int R, int C> struct Block;

class error;

} // namespace smup
