#pragma once
/// Every storage format with its kernels, so that a layer or model works with any
/// sparsity pattern without the user naming a kernel header.

#include <smup/kernels/bsr.hpp>
#include <smup/kernels/csr.hpp>
#include <smup/kernels/dense.hpp>
#include <smup/kernels/nm.hpp>
