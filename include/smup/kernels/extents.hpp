#pragma once
/// Run-time extent checks shared by every kernel: a product whose operands do not
/// fit is an exception naming the kernel and the extents, never an out-of-bounds access.
/// Only extents are checked: a padded view (row stride above its batch) is welcome.

#include <cstdint>
#include <string>

#include <smup/core/error.hpp>

namespace smup::detail {

/// Checks out = W_rows x batch and in = W_cols x batch for y = W x (or the
/// transposed roles for backward-data, with rows and cols swapped by the caller).
template <class In, class Out> void check_product_extents(char const* kernel, std::int64_t rows,
                                                          std::int64_t cols, In const& in,
                                                          Out const& out) {
  auto const in_rows = static_cast<std::int64_t>(in.extent(0));
  auto const out_rows = static_cast<std::int64_t>(out.extent(0));
  if (in_rows != cols || out_rows != rows || in.extent(1) != out.extent(1))
    fail(std::string("smup::") + kernel + ": operand extents do not match the weight matrix (" +
         std::to_string(rows) + " x " + std::to_string(cols) + "): input is " +
         std::to_string(in_rows) + " x " + std::to_string(in.extent(1)) + ", output is " +
         std::to_string(out_rows) + " x " + std::to_string(out.extent(1)) +
         ". Activations are [features][batch]. Pass views of matching extents.");
}

/// Checks that a weight gradient has one entry per kept weight (values()' layout).
inline void check_gradient_extent(std::int64_t entries, std::int64_t kept) {
  if (entries != kept)
    fail("smup::weight_gradient: the gradient has " + std::to_string(entries) +
         " entries but the weights keep " + std::to_string(kept) +
         ". Gradients share the values' compressed layout. Allocate kept() entries.");
}

} // namespace smup::detail
