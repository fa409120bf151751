#pragma once
/// What a weight matrix costs in memory, split the way it scales: the kept values,
/// the index structure that locates them, and optimizer state (one compressed
/// array per state tensor, e.g. 2 for Adam).
///
///     smup::StorageBytes b = smup::storage_bytes(weights, /*optimizer_states=*/2);
///     double vs_dense = double(b.total()) / double(dense_b.total());

#include <cstddef>

namespace smup {

struct StorageBytes {
  std::size_t values = 0;          ///< the kept weights
  std::size_t indices = 0;         ///< row pointers, column indices, offsets, transposed maps
  std::size_t optimizer_state = 0; ///< optimizer_states x values
  [[nodiscard]] constexpr std::size_t total() const { return values + indices + optimizer_state; }
  constexpr StorageBytes& operator+=(StorageBytes const& other) {
    values += other.values;
    indices += other.indices;
    optimizer_state += other.optimizer_state;
    return *this;
  }
};

/// Any weight storage with values_bytes() and index_bytes() members.
template <class Weights>
constexpr StorageBytes storage_bytes(Weights const& w, std::size_t optimizer_states = 0) {
  return {w.values_bytes(), w.index_bytes(), optimizer_states * w.values_bytes()};
}

} // namespace smup
