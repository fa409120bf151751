#pragma once
/// The texts of smup's diagnostics, in one place. Each reads
/// "smup::<Entity>: <rule broken>. <why>. <how to fix>."
/// They are macros because static_assert needs a string literal.

// core
#define SMUP_DIAG_RATIO_ZERO_DENOMINATOR                                                           \
  "smup::ratio: the denominator is zero. A ratio is a fraction num/den and den = 0 has no "        \
  "value. Pass a non-zero denominator."
#define SMUP_DIAG_RATIO_OVERFLOW                                                                   \
  "smup::ratio: 64-bit overflow in exact rational arithmetic. Scaling exponents and ratios are "   \
  "kept exact, so the result cannot be rounded. Use smaller numerators and denominators."
#define SMUP_DIAG_RATIO_DIVIDE_BY_ZERO                                                             \
  "smup::ratio: division by a zero ratio. The quotient has no value. Check the divisor."
#define SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE                                                          \
  "smup::width_ratio: width and base width must both be positive. m_d = d / d_base is a ratio "    \
  "of layer widths. Pass widths of at least 1."
#define SMUP_DIAG_DENSITY_OUT_OF_RANGE                                                             \
  "smup::density: density must lie in (0, 1]. Density is the kept fraction of a weight matrix "    \
  "(1 = dense, 1/16 = 94% sparse). Pass a density above 0 and at most 1."
#define SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE                                                        \
  "smup::Monomial: width and density multipliers must be positive to evaluate m_d^a * m_rho^b. "   \
  "Rational powers of zero or negative ratios are undefined. Pass positive ratios."
#define SMUP_DIAG_PARSE_RATIO                                                                      \
  "smup::parse_ratio: expected a positive number written as an integer, a fraction 'p/q' or a "    \
  "decimal. The text could not be read as one. Write e.g. 1, 1/16 or 0.0625."

// parameterization
#define SMUP_DIAG_PARAM_NOT_TAGGED                                                                 \
  "smup::Parameterization: the type does not opt in. A parameterization declares "                 \
  "'using parameterization_concept = smup::parameterization_tag;'. Add that member alias."
#define SMUP_DIAG_PARAM_MISSING_NAME                                                               \
  "smup::Parameterization: the rule 'static constexpr std::string_view name' is missing. Reports " \
  "and tables label each parameterization by it. Add it."
#define SMUP_DIAG_PARAM_MISSING_INIT_VARIANCE                                                      \
  "smup::Parameterization: the rule 'static constexpr smup::Monomial init_variance(smup::Role)' "  \
  "is missing or not constexpr. Every role needs an init-variance scaling. Add it."
#define SMUP_DIAG_PARAM_MISSING_LEARNING_RATE                                                      \
  "smup::Parameterization: the rule 'static constexpr smup::Monomial "                             \
  "learning_rate(smup::Role, smup::OptimizerFamily)' is missing or not constexpr. Every role "     \
  "needs a learning-rate scaling for Adam-like and SGD-like optimizers. Add it."
#define SMUP_DIAG_PARAM_MISSING_MULTIPLIER                                                         \
  "smup::Parameterization: the rule 'static constexpr smup::Monomial multiplier(smup::Role)' is "  \
  "missing or not constexpr. Every role needs a forward-multiplier scaling. Add it."
#define SMUP_DIAG_PARAM_MISSING_ATTENTION                                                          \
  "smup::Parameterization: the rule 'static constexpr smup::ratio attention_logit_exponent' is "   \
  "missing. Attention logits are scaled by d_head to this power (-1/2 in SP, -1 in muP). Add it."
#define SMUP_DIAG_UNSTABLE                                                                         \
  "smup::assert_stable: the parameterization is not stable in width and density. Some "            \
  "activation or update does not stay Theta(1) as the model grows or sparsifies. The next error "  \
  "names the role, the quantity and the exponent to fix."

// hyper-parameters and shapes
#define SMUP_DIAG_HP_SIGMA                                                                         \
  "smup::HyperParams: sigma must be positive and finite. It is the base init standard "            \
  "deviation. Pass e.g. 0.02."
#define SMUP_DIAG_HP_ETA                                                                           \
  "smup::HyperParams: eta must be positive and finite. It is the base learning rate. Pass e.g. "   \
  "0x1p-9."
#define SMUP_DIAG_HP_MULTIPLIER                                                                    \
  "smup::HyperParams: alpha_in, alpha_out and lr_mult_non_hidden must be positive and finite. "    \
  "They scale forward passes and learning rates. Pass a positive value (1 = no change)."
#define SMUP_DIAG_HP_WEIGHT_DECAY                                                                  \
  "smup::HyperParams: weight_decay must be finite and not negative. A negative decay grows "       \
  "weights without bound. Pass 0 or a positive value."
#define SMUP_DIAG_SHAPE_DEPTH                                                                      \
  "smup::TargetShape: hidden_layers must be at least 1. The canonical network is input -> hidden " \
  "-> readout. Pass hidden_layers >= 1."
#define SMUP_DIAG_SPARSE_NON_HIDDEN                                                                \
  "smup::layer_hyperparams: only hidden matrices may be sparse. SmuP defines density scaling for " \
  "hidden matrices only; embeddings, readout, biases and norms stay dense. Use density 1 for "     \
  "this role."

// sparsity
#define SMUP_DIAG_NM_N_ZERO                                                                        \
  "smup::NM<N, M>: N must be at least 1. N:M sparsity keeps N of every M weights and N = 0 "       \
  "keeps nothing. Use N >= 1."
#define SMUP_DIAG_NM_N_NOT_BELOW_M                                                                 \
  "smup::NM<N, M>: N must be smaller than M. With N >= M every weight is kept, which is dense, "   \
  "not N:M. Use smup::Dense, or N < M (e.g. NM<2, 4>)."
#define SMUP_DIAG_BLOCK_ZERO                                                                       \
  "smup::Block<R, C>: block rows R and block columns C must both be at least 1. A block of zero "  \
  "size holds no weights. Use e.g. Block<32, 32>."
#define SMUP_DIAG_PATTERN_NOT_TAGGED                                                               \
  "smup::SparsityPattern: the type does not opt in. A pattern declares "                           \
  "'using sparsity_concept = smup::sparsity_tag;', a name and its density facts. Add them."

// storage formats and kernels
#define SMUP_DIAG_MATRIX_EMPTY                                                                     \
  "smup::SparseWeights: rows and columns must both be at least 1. A weight matrix maps fan-in "    \
  "to fan-out features. Pass positive extents."
#define SMUP_DIAG_NM_SHAPE                                                                         \
  "smup::NM<N, M>: the fan-in (columns) must be a multiple of M. N:M sparsity keeps N weights "    \
  "in every group of M consecutive inputs. Pad the fan-in or pick an M that divides it."
#define SMUP_DIAG_BLOCK_SHAPE                                                                      \
  "smup::Block<R, C>: rows must be a multiple of R and columns a multiple of C. The matrix is "    \
  "tiled by whole R x C blocks. Pick block sizes that divide both extents."
#define SMUP_DIAG_STATIC_DENSITY_MISMATCH                                                          \
  "smup::SparseWeights: the density passed differs from the pattern's own. Dense and NM<N, M> "    \
  "fix their density in the type. Omit the density or pass the pattern's."

// layers, models and optimizers
#define SMUP_DIAG_LINEAR_ROLE                                                                      \
  "smup::Linear: the role must be Role::input, Role::hidden or Role::output. Biases and norm "     \
  "gains are vectors that belong to a layer, not layers of their own. Pick a matrix role."
#define SMUP_DIAG_SPARSE_NON_HIDDEN_LAYER                                                          \
  "smup::Linear: only hidden layers may be sparse. SmuP defines density scaling for hidden "       \
  "matrices only: embeddings and the readout have a finite fan-in or fan-out and stay dense. "     \
  "Use smup::Dense for Role::input and Role::output."
#define SMUP_DIAG_TIED_READOUT_RULES                                                               \
  "smup::TiedReadout: the parameterization gives its input and output roles different init "       \
  "variances or learning rates. A tied table is one tensor, trained by the embedding's rules and " \
  "read by both; the readout may differ only in its forward multiplier. Untie the readout, or "    \
  "scale the output role through its multiplier (muP's Table 8 form)."
#define SMUP_DIAG_OPTIMIZER_PARAMETERIZATION                                                       \
  "smup::optimizer: the optimizer's parameterization differs from the model's. Learning rates "    \
  "and initialisation must follow the same rules or the transfer breaks. Use the model's "         \
  "parameterization for the optimizer too."
